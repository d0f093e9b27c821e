package dev.zephyr.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.zephyr.core.io.Json;
import dev.zephyr.core.io.Jsonl;
import dev.zephyr.core.testing.TestData;
import dev.zephyr.eval.mc.McEvaluator;
import dev.zephyr.eval.mc.McTask;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The evaluation commands on a tiny random local model with the real Zephyr tokenizer. */
class LocalEvalCommandsTest {
  @TempDir static Path dir;
  static Path modelDir;

  @BeforeAll
  static void saveTinyModel() {
    modelDir = TinyZephyrModel.save(dir.resolve("tiny-zephyr"), 3);
  }

  @Test
  void mtBenchAnswerWithALocalModelWritesFastChatAnswersAndResumes() throws Exception {
    Path out = dir.resolve("model_answer/tiny-zephyr.jsonl");
    String[] args = {"mt-bench", "answer", "--bench-dir", TestData.path("mt_bench").toString(), "--model",
        modelDir.toString(), "--tokenizer", TestData.path("tokenizers", "zephyr").toString(), "--first-n", "2",
        "--max-new-tokens", "6", "--out", out.toString()};
    CliRun r = EvalCommandsTest.zephyr(args);
    assertThat(r.code()).as(r.err()).isZero();
    List<JsonNode> lines = Jsonl.readAll(out);
    assertThat(lines).hasSize(2);
    assertThat(lines.get(0).get("question_id").asInt()).isEqualTo(81);
    assertThat(lines.get(0).get("model_id").asText()).isEqualTo("tiny-zephyr");
    assertThat(lines.get(0).get("choices").get(0).get("turns")).hasSize(2);
    assertThat(lines.get(0).get("answer_id").asText()).hasSize(22);
    String before = Files.readString(out);
    assertThat(EvalCommandsTest.zephyr(args).code()).isZero();
    assertThat(Files.readString(out)).isEqualTo(before);
  }

  @Test
  void mcCommandPrintsAccuracies() throws Exception {
    Path task = dir.resolve("task.jsonl");
    Files.writeString(task, "{\"context\": \"Question: 2+2?\\nAnswer:\", \"choices\": [\"4\", \"5\"], \"gold\": 0}\n"
        + "{\"context\": \"The sky is\", \"choices\": [\"blue\", \"green\", \"loud\"], \"gold\": 0}\n");
    Path tokenizer = TestData.path("tokenizers", "zephyr");
    Path metricsFile = dir.resolve("mc.json");
    CliRun r = EvalCommandsTest.zephyr("mc", "--task", task.toString(), "--model",
        modelDir.toString(), "--tokenizer", tokenizer.toString(), "--out", metricsFile.toString());
    assertThat(r.code()).as(r.err()).isZero();
    JsonNode m = Json.mapper().readTree(r.out());
    assertThat(m.get("task").asText()).isEqualTo("task.jsonl");
    assertThat(m.get("format").asText()).isEqualTo("generic");
    assertThat(m.get("n").asInt()).isEqualTo(2);
    assertSameFigures(m, evaluate(task));
    assertThat(Files.readString(metricsFile)).isEqualTo(r.out());

    // a short gold choice against a long distractor: summed log-likelihood picks the short one, log-likelihood per
    // byte the long one, so acc and acc_norm differ and a swap of the two would show
    Path lengths = dir.resolve("lengths.jsonl");
    Files.writeString(lengths, "{\"context\": \"Pick:\", \"choices\": [\" A\", \" a much longer answer that goes on"
        + " and on for many more words than the other one\"], \"gold\": 0}\n");
    CliRun l = EvalCommandsTest.zephyr("mc", "--task", lengths.toString(), "--model", modelDir.toString(),
        "--tokenizer", tokenizer.toString());
    assertThat(l.code()).as(l.err()).isZero();
    McEvaluator.Result expected = evaluate(lengths);
    assertThat(expected.acc()).isNotEqualTo(expected.accNorm());
    assertSameFigures(Json.mapper().readTree(l.out()), expected);

    Path arc = dir.resolve("arc.jsonl");
    Files.writeString(arc, "{\"question\": \"Which is a metal?\", \"choices\": {\"text\": [\"wood\", \"iron\"],"
        + " \"label\": [\"A\", \"B\"]}, \"answerKey\": \"B\"}\n");
    CliRun a = EvalCommandsTest.zephyr("mc", "--task", arc.toString(), "--format", "arc",
        "--model", modelDir.toString(), "--tokenizer", TestData.path("tokenizers", "zephyr").toString());
    assertThat(a.code()).as(a.err()).isZero();
    assertThat(Json.mapper().readTree(a.out()).get("n").asInt()).isEqualTo(1);
  }

  /** McEvaluator on the same model and generic task, at the mc command's defaults (max length 2048, batch 8). */
  private static McEvaluator.Result evaluate(Path task) {
    try (LocalModels local = LocalModels.load(modelDir, null, TestData.path("tokenizers", "zephyr"), ai.djl.Device.cpu())) {
      return new McEvaluator(local.loglikelihood(2048), 8).evaluate(McTask.read(task, "generic", ""));
    }
  }

  /** The command reports the evaluator's figures, each under its lm-eval name (boxed: a one-row stderr is NaN). */
  private static void assertSameFigures(JsonNode printed, McEvaluator.Result expected) {
    assertThat(List.of(printed.get("acc").asDouble(), printed.get("acc_stderr").asDouble(),
        printed.get("acc_norm").asDouble(), printed.get("acc_norm_stderr").asDouble()))
        .containsExactly(expected.acc(), expected.accStderr(), expected.accNorm(), expected.accNormStderr());
  }
}
