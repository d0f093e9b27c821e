package dev.zephyr.core.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.zephyr.core.InvalidInputException;
import dev.zephyr.core.chat.Message;
import dev.zephyr.core.chat.Role;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JsonlTest {
  @TempDir Path dir;

  @Test
  void roundTripsRecordsWithHuggingFaceRoleNames() throws Exception {
    Path f = dir.resolve("m.jsonl");
    Jsonl.writeAll(f, List.of(Message.user("hi"), Message.assistant("hello")));
    assertThat(Files.readString(f))
        .isEqualTo("{\"role\":\"user\",\"content\":\"hi\"}\n{\"role\":\"assistant\",\"content\":\"hello\"}\n");
    List<Message> back = Jsonl.readAll(f, Message.class);
    assertThat(back).extracting(Message::role).containsExactly(Role.USER, Role.ASSISTANT);
  }

  @Test
  void badLineNamesFileAndLine() throws Exception {
    Path f = dir.resolve("bad.jsonl");
    Files.writeString(f, "{\"role\":\"user\",\"content\":\"a\"}\n\n{\"role\":\"user\",\n");
    assertThatThrownBy(() -> Jsonl.readAll(f, Message.class))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("bad.jsonl:3")
        .satisfies(e -> assertThat(((InvalidInputException) e).line()).isEqualTo(3));
  }

  @Test
  void skipModeCountsBadLines() throws Exception {
    Path f = dir.resolve("skip.jsonl");
    Files.writeString(f, "{\"role\":\"user\",\"content\":\"a\"}\nnot json\n{\"role\":\"robot\",\"content\":\"b\"}\n");
    try (Jsonl.Reader<Message> r = Jsonl.reader(f, Message.class, Jsonl.OnError.SKIP)) {
      int n = 0;
      while (r.hasNext()) {
        r.next();
        n++;
      }
      assertThat(n).isEqualTo(1);
      assertThat(r.skipped()).isEqualTo(2);
    }
  }
}
