package dev.zephyr.data.rows;

import static org.assertj.core.api.Assertions.assertThat;

import dev.zephyr.core.chat.Message;
import dev.zephyr.core.io.Json;
import dev.zephyr.core.io.Jsonl;
import dev.zephyr.core.io.JsonlAppender;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SftRecordTest {
  @TempDir Path tmp;

  @Test
  void writesTheUltrachat200kLayout() throws Exception {
    SftRecord r = SftRecord.of(List.of(Message.user("hi"), Message.assistant("hello")));
    // sha256("hi")
    assertThat(r.promptId()).isEqualTo("8f434346648f6b96df89dda901c5176b10a6d83961dd3c1ac88b59b2dc327aa4");
    assertThat(Jsonl.toLine(r)).isEqualTo("{\"prompt\":\"hi\",\"prompt_id\":"
        + "\"8f434346648f6b96df89dda901c5176b10a6d83961dd3c1ac88b59b2dc327aa4\",\"messages\":"
        + "[{\"role\":\"user\",\"content\":\"hi\"},{\"role\":\"assistant\",\"content\":\"hello\"}]}");
    SftRecord back = Json.mapper().readValue("{\"prompt\":\"hi\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
        SftRecord.class);
    assertThat(back.promptId()).isEqualTo(r.promptId()); // derived when absent
  }

  @Test
  void appendLogCutsATornTail() throws Exception {
    Path f = tmp.resolve("log.jsonl");
    try (JsonlAppender log = JsonlAppender.open(f)) {
      log.appendAll(List.of(List.of(1), List.of(2)));
    }
    Files.writeString(f, "[3, 4", java.nio.file.StandardOpenOption.APPEND);
    assertThat(JsonlAppender.hasTornTail(f)).isTrue();
    assertThat(JsonlAppender.readComplete(f)).hasSize(2);
    try (JsonlAppender log = JsonlAppender.open(f)) {
      log.append(List.of(5));
    }
    assertThat(Files.readString(f)).isEqualTo("[1]\n[2]\n[5]\n");
    assertThat(JsonlAppender.hasTornTail(f)).isFalse();
  }
}
