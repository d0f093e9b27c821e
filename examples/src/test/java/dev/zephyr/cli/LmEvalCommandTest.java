package dev.zephyr.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.zephyr.core.io.Json;
import dev.zephyr.core.testing.TestData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code zephyr lm-eval} on a tiny random model with the Zephyr tokenizer, over testdata/lm_eval/. */
class LmEvalCommandTest {
  @TempDir static Path dir;
  static Path modelDir;

  @BeforeAll
  static void saveTinyModel() {
    modelDir = TinyZephyrModel.save(dir.resolve("tiny-zephyr"), 5);
  }

  private static CliRun lmEval(Path data, Path out, String... more) {
    String[] base = {"lm-eval", "--task", "arc_challenge,truthfulqa_mc2", "--data", data.toString(),
        "--num-fewshot", "1", "--limit", "2", "--model", modelDir.toString(), "--tokenizer",
        TestData.path("tokenizers", "zephyr").toString(), "--batch-size", "3", "--out", out.toString()};
    String[] args = java.util.Arrays.copyOf(base, base.length + more.length);
    System.arraycopy(more, 0, args, base.length, more.length);
    return EvalCommandsTest.zephyr(args);
  }

  @Test
  void writesLmEvalResultsAndResumesFromTheCache() throws Exception {
    Path out = dir.resolve("run1/results.json");
    CliRun r = lmEval(TestData.path("lm_eval"), out);
    assertThat(r.code()).as(r.err()).isZero();
    JsonNode json = Json.mapper().readTree(out.toFile());
    JsonNode arc = json.get("results").get("arc_challenge");
    double acc = arc.get("acc,none").asDouble();
    assertThat(acc).isIn(0.0, 0.5, 1.0);
    assertThat(arc.get("acc_norm,none").asDouble()).isIn(0.0, 0.5, 1.0);
    double mc2 = json.get("results").get("truthfulqa_mc2").get("acc,none").asDouble();
    assertThat(mc2).isStrictlyBetween(0.0, 1.0);
    assertThat(json.get("n-samples").get("arc_challenge").get("original").asInt()).isEqualTo(3);
    assertThat(json.get("n-samples").get("arc_challenge").get("effective").asInt()).isEqualTo(2);
    assertThat(json.get("n-shot").get("truthfulqa_mc2").asInt()).isEqualTo(1);
    assertThat(json.get("config").get("batch_size").asInt()).isEqualTo(3);
    // arc: 2 documents x 4 choices; mc2: 4 + 3 choices
    Path cache = out.resolveSibling("lm-eval-requests.jsonl");
    assertThat(Files.readAllLines(cache)).hasSize(15);
    Path md = out.resolveSibling("results.md");
    assertThat(r.out()).startsWith(Files.readString(md));
    assertThat(Files.readString(md)).contains("| arc_challenge | 1.0 | none | 1 | acc | ↑ |");

    // a second run is answered from the cache and writes the same numbers
    String first = Files.readString(out);
    CliRun again = lmEval(TestData.path("lm_eval"), out);
    assertThat(again.code()).as(again.err()).isZero();
    assertThat(Files.readAllLines(cache)).hasSize(15);
    assertThat(Files.readString(out)).isEqualTo(first);

    // zephyr report --lm-eval prints the same tables
    CliRun report = EvalCommandsTest.zephyr("report", "--lm-eval", out.toString());
    assertThat(report.code()).as(report.err()).isZero();
    assertThat(report.out()).isEqualTo(Files.readString(md));

    // the same rows as Hub Parquet shards give the same numbers
    Path hub = dir.resolve("hub");
    toParquet(TestData.path("lm_eval", "ai2_arc", "ARC-Challenge", "test.jsonl"),
        hub.resolve("allenai/ai2_arc/ARC-Challenge/test-00000-of-00001.parquet"));
    toParquet(TestData.path("lm_eval", "ai2_arc", "ARC-Challenge", "train.jsonl"),
        hub.resolve("allenai/ai2_arc/ARC-Challenge/train-00000-of-00001.parquet"));
    toParquet(TestData.path("lm_eval", "truthful_qa", "multiple_choice", "validation.jsonl"),
        hub.resolve("truthfulqa/truthful_qa/multiple_choice/validation-00000-of-00001.parquet"));
    Path out2 = dir.resolve("run2/results.json");
    CliRun p = lmEval(hub, out2, "--cache", cache.toString());
    assertThat(p.code()).as(p.err()).isZero();
    assertThat(Files.readAllLines(cache)).as("every request was already cached").hasSize(15);
    JsonNode fromParquet = Json.mapper().readTree(out2.toFile());
    assertThat(fromParquet.get("results").get("arc_challenge").get("acc,none").asDouble()).isEqualTo(acc);
    assertThat(fromParquet.get("results").get("truthfulqa_mc2").get("acc,none").asDouble()).isEqualTo(mc2);
  }

  @Test
  void aMissingSplitIsAOneLineError() throws Exception {
    Path empty = Files.createDirectories(dir.resolve("empty"));
    CliRun r = lmEval(empty, dir.resolve("x/results.json"));
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err()).contains("no test split for arc_challenge");
  }

  private static void toParquet(Path jsonl, Path parquet) throws Exception {
    Files.createDirectories(parquet.getParent());
    try (Connection c = DriverManager.getConnection("jdbc:duckdb:"); Statement st = c.createStatement()) {
      st.execute("COPY (SELECT * FROM read_json_auto('" + jsonl + "')) TO '" + parquet + "' (FORMAT PARQUET)");
    }
  }
}
