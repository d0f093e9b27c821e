package dev.zephyr.data.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.zephyr.core.InvalidInputException;
import dev.zephyr.core.io.Jsonl;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatasetRowsTest {
  @TempDir Path dir;

  @Test
  void readsParquetWithNestedMessagesAsJson() throws Exception {
    Path parquet = dir.resolve("train_prefs.parquet");
    try (Connection c = DriverManager.getConnection("jdbc:duckdb:");
        Statement st = c.createStatement()) {
      st.execute("COPY (SELECT * FROM (VALUES "
          + "('Hi?', 'id1', [{'role': 'user', 'content': 'Hi?'}, {'role': 'assistant', 'content': 'Hello'}], 8.5),"
          + "('Sum 2+2', 'id2', [{'role': 'user', 'content': 'Sum 2+2'}, {'role': 'assistant', 'content': '4'}], 7.0)"
          + ") AS t(prompt, prompt_id, chosen, score_chosen)) TO '" + parquet + "' (FORMAT PARQUET)");
    }
    List<DatasetRows.Row> rows = DatasetRows.readAll(parquet, Jsonl.OnError.FAIL);
    assertThat(rows).hasSize(2);
    assertThat(rows.get(0).value().get("prompt").asText()).isEqualTo("Hi?");
    assertThat(rows.get(0).value().get("chosen").get(1).get("content").asText()).isEqualTo("Hello");
    assertThat(rows.get(0).value().get("chosen").get(1).get("role").asText()).isEqualTo("assistant");
    assertThat(rows.get(1).value().get("score_chosen").asDouble()).isEqualTo(7.0);
    assertThat(rows.get(1).line()).isEqualTo(2);
  }

  @Test
  void malformedJsonlLineFailsWithFileAndLineOrIsSkippedAndCounted() throws Exception {
    Path f = dir.resolve("p.jsonl");
    Files.writeString(f, "{\"prompt\": \"a\"}\n\n{\"prompt\": oops}\n{\"prompt\": \"c\"}\n[\"not\", \"an object\"]\n");
    assertThatThrownBy(() -> DatasetRows.readAll(f, Jsonl.OnError.FAIL))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("p.jsonl:3");
    List<String> seen = new java.util.ArrayList<>();
    DatasetRows.Stats s = DatasetRows.forEach(f, Jsonl.OnError.SKIP, r -> seen.add(r.value().get("prompt").asText()));
    assertThat(seen).containsExactly("a", "c");
    // the unparsable line and the array line are both skipped and counted
    assertThat(s).isEqualTo(new DatasetRows.Stats(2, 2));
  }
}
