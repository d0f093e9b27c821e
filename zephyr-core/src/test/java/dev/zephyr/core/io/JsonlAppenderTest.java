package dev.zephyr.core.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.zephyr.core.InvalidInputException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JsonlAppenderTest {
  @TempDir Path dir;

  @Test
  void appenderResumesSkipsKnownKeysAndCutsATornLine() throws Exception {
    Path f = dir.resolve("out.jsonl");
    try (JsonlAppender a = JsonlAppender.open(f, "prompt_id")) {
      a.appendAll(List.of(Map.of("prompt_id", "1"), Map.of("prompt_id", "2")));
    }
    Files.writeString(f, "{\"prompt_id\":\"3\",\"pro", StandardOpenOption.APPEND);
    try (JsonlAppender a = JsonlAppender.open(f, "prompt_id")) {
      assertThat(a.tornLineDropped()).isTrue();
      assertThat(a.keys()).containsExactlyInAnyOrder("1", "2");
      assertThat(a.contains("3")).isFalse();
      a.append(Map.of("prompt_id", "3"));
    }
    assertThat(Files.readAllLines(f)).containsExactly(
        "{\"prompt_id\":\"1\"}", "{\"prompt_id\":\"2\"}", "{\"prompt_id\":\"3\"}");
    Files.writeString(f, "garbage\n", StandardOpenOption.APPEND);
    Files.writeString(f, "{\"prompt_id\":\"4\"}\n", StandardOpenOption.APPEND);
    assertThatThrownBy(() -> JsonlAppender.open(f, "prompt_id")).hasMessageContaining("out.jsonl:4");
  }

  record Keyed(@com.fasterxml.jackson.annotation.JsonProperty("prompt_id") int promptId) {}

  @Test
  void aRecordThatDoesNotBindIsNamedByItsFileLine() throws Exception {
    Path f = dir.resolve("keyed.jsonl");
    Files.writeString(f, "{\"prompt_id\": 1}\n\n{\"prompt_id\": \"two\"}\n");
    assertThat(JsonlAppender.readComplete(f)).hasSize(2);
    assertThatThrownBy(() -> JsonlAppender.readComplete(f, Keyed.class))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("keyed.jsonl:3");
  }
}
