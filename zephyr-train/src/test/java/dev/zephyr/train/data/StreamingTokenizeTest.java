package dev.zephyr.train.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.zephyr.core.InvalidInputException;
import dev.zephyr.core.io.Json;
import dev.zephyr.core.progress.Progress;
import dev.zephyr.core.testing.TestData;
import dev.zephyr.core.tokenizer.ChatTokenizer;
import dev.zephyr.core.tokenizer.LossMode;
import dev.zephyr.core.tokenizer.Tokenizer;
import dev.zephyr.train.dpo.DpoData;
import dev.zephyr.train.dpo.DpoExample;
import dev.zephyr.train.loop.ChildJvm;
import dev.zephyr.train.sft.SftData;
import dev.zephyr.train.sft.SftSequence;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Streaming, pooled tokenisation gives what tokenising a list in memory gives, in a heap smaller than the file. */
class StreamingTokenizeTest {
  static Tokenizer tokenizer;
  static ChatTokenizer tok;
  @TempDir Path dir;

  @BeforeAll
  static void load() {
    tokenizer = Tokenizer.load(TestData.path("tokenizers", "zephyr"));
    tok = ChatTokenizer.of(tokenizer);
  }

  @AfterAll
  static void close() {
    tokenizer.close();
  }

  private static List<JsonNode> sftRows() throws IOException {
    List<JsonNode> rows = new ArrayList<>();
    for (int i = 0; i < 150; i++) {
      String json = switch (i % 3) {
        case 0 -> "{\"messages\": [{\"role\": \"user\", \"content\": \"What is " + i + " plus 1?\"},"
            + " {\"role\": \"assistant\", \"content\": \"It is " + (i + 1) + ".\"}]}";
        case 1 -> "{\"prompt\": \"Count to " + i + ":\", \"completion\": \" " + "one ".repeat(i % 17 + 1) + "\"}";
        default -> "{\"text\": \"Plain text number " + i + " " + "word ".repeat(i % 40) + "\"}";
      };
      rows.add(Json.mapper().readTree(json));
    }
    return rows;
  }

  private Path write(List<JsonNode> rows, String name) throws IOException {
    StringBuilder sb = new StringBuilder();
    for (JsonNode r : rows) {
      sb.append(Json.mapper().writeValueAsString(r)).append('\n');
    }
    return Files.writeString(dir.resolve(name), sb.toString());
  }

  @Test
  void sftStreamEqualsTheInMemoryPathForAnyPoolSize() throws IOException {
    List<JsonNode> rows = sftRows();
    Path file = write(rows, "sft.jsonl");
    for (LossMode mode : List.of(LossMode.ALL, LossMode.ASSISTANT_ONLY)) {
      SftData.Options options = new SftData.Options(24, mode, false);
      SftData.Prepared expected = SftData.prepare(rows, file.toString(), tok, options);
      for (MixtureReader.Options reading : List.of(new MixtureReader.Options(1, 1), new MixtureReader.Options(4, 9))) {
        SftData.Prepared got = SftData.prepare(DatasetMixture.ofFiles(List.of(file)), tok, options, reading,
            Progress.NONE);
        assertThat(got.examples()).isEqualTo(150);
        assertThat(got.truncated()).isEqualTo(expected.truncated()).isPositive();
        assertThat(got.droppedFullyMasked()).isEqualTo(expected.droppedFullyMasked());
        assertThat(got.rows()).hasSameSizeAs(expected.rows());
        for (int i = 0; i < got.rows().size(); i++) {
          SftSequence g = got.rows().get(i);
          SftSequence e = expected.rows().get(i);
          assertThat(g.inputIds()).as("%s row %d ids", mode, i).isEqualTo(e.inputIds());
          assertThat(g.lossMask()).as("%s row %d mask", mode, i).isEqualTo(e.lossMask());
        }
      }
    }
  }

  @Test
  void parquetShardsOfAHubSnapshotGiveTheSameSequencesAsJsonLines() throws Exception {
    List<JsonNode> rows = sftRows().stream().filter(r -> r.has("messages")).toList();
    Path jsonl = write(rows, "chat.jsonl");
    Path data = Files.createDirectories(dir.resolve("hub").resolve("data"));
    try (java.sql.Connection c = java.sql.DriverManager.getConnection("jdbc:duckdb:");
        java.sql.Statement st = c.createStatement()) {
      // two shards, as the Hub names them
      st.execute("COPY (SELECT * FROM read_json_auto('" + jsonl + "') LIMIT 20) TO '"
          + data.resolve("train-00000-of-00002.parquet") + "' (FORMAT PARQUET)");
      st.execute("COPY (SELECT * FROM read_json_auto('" + jsonl + "') OFFSET 20) TO '"
          + data.resolve("train-00001-of-00002.parquet") + "' (FORMAT PARQUET)");
    }
    SftData.Options options = new SftData.Options(64, LossMode.ASSISTANT_ONLY, false);
    SftData.Prepared expected = SftData.prepare(jsonl, tok, options);
    SftData.Prepared got = SftData.prepare(new DatasetMixture(List.of(
        new DatasetSource(dir.resolve("hub").toString(), null, null, List.of("messages"), null)), 0, null, false),
        tok, options, new MixtureReader.Options(2, 4), Progress.NONE);
    assertThat(got.examples()).isEqualTo(50);
    for (int i = 0; i < 50; i++) {
      assertThat(got.rows().get(i).inputIds()).as("row %d", i).isEqualTo(expected.rows().get(i).inputIds());
      assertThat(got.rows().get(i).lossMask()).as("row %d", i).isEqualTo(expected.rows().get(i).lossMask());
    }
  }

  @Test
  void dpoStreamEqualsTheInMemoryPath() throws IOException {
    List<JsonNode> rows = new ArrayList<>();
    for (int i = 0; i < 60; i++) {
      rows.add(Json.mapper().readTree("{\"prompt\": \"Is " + i + " even?\", \"chosen\": \" "
          + (i % 2 == 0 ? "Yes" : "No") + ".\", \"rejected\": \" " + "Maybe ".repeat(i % 9 + 1) + "\"}"));
    }
    Path file = write(rows, "pairs.jsonl");
    List<DpoExample> expected = DpoData.prepare(rows, file.toString(), tok, 16);
    List<DpoExample> got = DpoData.prepare(DatasetMixture.ofFiles(List.of(file)), tok, 16,
        new MixtureReader.Options(3, 5), Progress.NONE).pairs();
    assertThat(got).hasSameSizeAs(expected).hasSize(60);
    for (int i = 0; i < got.size(); i++) {
      assertThat(got.get(i).promptIds()).isEqualTo(expected.get(i).promptIds());
      assertThat(got.get(i).chosenIds()).isEqualTo(expected.get(i).chosenIds());
      assertThat(got.get(i).rejectedIds()).isEqualTo(expected.get(i).rejectedIds());
    }
  }

  @Test
  void aBadRowFailsNamingFileAndLine() throws IOException {
    Path file = Files.writeString(dir.resolve("bad.jsonl"),
        "{\"text\": \"fine\"}\n{\"text\": \"also fine\"}\n{\"chosen\": \"no sft column\"}\n{\"text\": \"after\"}\n");
    assertThatThrownBy(() -> SftData.prepare(file, tok, new SftData.Options(16, LossMode.ALL, false)))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining(file.toString())
        .hasMessageContaining("3").hasMessageContaining("'messages', 'prompt'+'completion' or 'text'");
  }

  /** 200,000 rows, about 103 MB of JSON Lines, tokenised in a child JVM whose whole heap is 96 MB. */
  @Test
  void twoHundredThousandRowsInAHeapSmallerThanTheFile() throws Exception {
    Path file = dir.resolve("big.jsonl");
    String filler = "x".repeat(480);
    try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
      for (int i = 0; i < 200_000; i++) {
        w.write("{\"text\": \"row " + i + "\", \"source\": \"" + filler + "\"}\n");
      }
    }
    assertThat(Files.size(file)).isGreaterThan(100_000_000L);
    Path log = dir.resolve("child.log");
    Process p = new ProcessBuilder(ChildJvm.command(List.of("-Xmx96m", "-XX:+UseSerialGC"), StreamTokenizeMain.class,
        TestData.path("tokenizers", "zephyr").toString(), file.toString())).redirectErrorStream(true)
        .redirectOutput(log.toFile()).start();
    assertThat(p.waitFor(240, TimeUnit.SECONDS)).as("child finished").isTrue();
    String out = Files.readString(log);
    assertThat(p.exitValue()).as(out).isZero();
    String first = ids(SftData.prepare(List.of(Json.mapper().readTree("{\"text\": \"row 0\"}")), "r", tok,
        new SftData.Options(64, LossMode.ALL, false)).rows().get(0));
    String last = ids(SftData.prepare(List.of(Json.mapper().readTree("{\"text\": \"row 199999\"}")), "r", tok,
        new SftData.Options(64, LossMode.ALL, false)).rows().get(0));
    assertThat(out).contains("examples=200000", "first=" + first, "last=" + last);
  }

  static String ids(SftSequence s) {
    return java.util.Arrays.toString(s.inputIds()).replace(" ", "");
  }
}
