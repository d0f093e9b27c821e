package dev.zephyr.eval.stage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import dev.zephyr.core.InvalidInputException;
import dev.zephyr.core.ZephyrException;
import dev.zephyr.core.chat.ChatModel;
import dev.zephyr.core.eval.EvalReport;
import dev.zephyr.core.eval.Evaluation;
import dev.zephyr.core.io.Json;
import dev.zephyr.core.io.Jsonl;
import dev.zephyr.core.progress.Progress;
import dev.zephyr.core.testing.TestData;
import dev.zephyr.eval.mc.Loglikelihood;
import dev.zephyr.eval.mc.LoglikelihoodModel;
import dev.zephyr.eval.testing.ScriptedChatModel;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The {@code mc} evaluation: its keys, and lm-eval's acc / acc_norm over a task file. */
class McEvaluationTest {
  private static final Path BASE = Path.of("/recipes/zephyr");

  /** Scores a continuation by minus its length in characters: the shortest choice wins acc, the longest acc_norm. */
  private static final LoglikelihoodModel MINUS_LENGTH = requests -> requests.stream()
      .map(r -> new Loglikelihood(-r.continuation().length(), false)).toList();

  @Test
  void bindsItsKeysWithZephyrMcDefaultsAndRefusesOthersByName() {
    Evaluation e = Evaluations.of("mc", Map.of("task", "data/arc.jsonl", "format", "arc"), BASE);
    assertThat(e).isInstanceOf(McEvaluation.class);
    assertThat(e.name()).isEqualTo("mc");
    assertThat(e.config()).containsEntry("task", "/recipes/zephyr/data/arc.jsonl").containsEntry("format", "arc")
        .containsEntry("limit", 0).containsEntry("batch_size", 8).containsEntry("max_length", 2048)
        .doesNotContainKey("primer");
    assertThatThrownBy(() -> Evaluations.of("mc", Map.of("task", "t.jsonl", "limt", 5), BASE))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("'evaluate.mc.limt'")
        .hasMessageContaining("did you mean 'limit'?");
    assertThatThrownBy(() -> Evaluations.of("mc", Map.of("task", "t.jsonl", "format", "hellaswg"), BASE))
        .hasMessageContaining("format").hasMessageContaining("did you mean 'hellaswag'?");
    assertThatThrownBy(() -> Evaluations.of("mc", Map.of("format", "arc"), BASE)).hasMessageContaining("task")
        .hasMessageContaining("required");
    assertThatThrownBy(() -> Evaluations.of("mc", Map.of("task", "t.jsonl", "primer", "p.txt"), BASE))
        .hasMessageContaining("primer").hasMessageContaining("truthfulqa_mc1");
  }

  @Test
  void accuracyOverTheTaskFileAsHandComputed(@TempDir Path dir) throws Exception {
    McEvaluation mc = new McEvaluation(McSettings.of(TestData.path("mc", "tiny_generic.jsonl"), "generic"));
    EvalReport r = mc.evaluate(MINUS_LENGTH, "fake", dir, Progress.NONE);
    // shortest choice, first on ties: right on items 1, 5, 6 and 7 of 8; longest: right on items 4 and 5
    assertThat(r.metrics()).containsEntry("n", 8.0).containsEntry("acc", 0.5).containsEntry("acc_norm", 0.25);
    assertThat(r.metric("acc_stderr")).isCloseTo(Math.sqrt(1.0 / 28), within(1e-12));
    JsonNode results = Json.mapper().readTree(r.files().get("results").toFile());
    assertThat(results.get("task").asText()).isEqualTo("tiny_generic.jsonl");
    assertThat(results.get("acc").asDouble()).isEqualTo(0.5);
    List<JsonNode> samples = Jsonl.readAll(r.files().get("samples"));
    assertThat(samples).hasSize(8);
    // item 1: " 5", " 6", " 23"
    assertThat(samples.get(0).get("loglikelihoods").toString()).isEqualTo("[-2.0,-2.0,-3.0]");
    assertThat(samples.get(0).get("pred_norm").asInt()).isEqualTo(2);
    assertThat(samples.get(3).get("acc_norm").asInt()).isEqualTo(1);

    McEvaluation firstFour = new McEvaluation(new McSettings(TestData.path("mc", "tiny_generic.jsonl"), "generic",
        null, 4, 3, 2048));
    assertThat(firstFour.evaluate(MINUS_LENGTH, "fake", dir, Progress.NONE).metrics())
        .containsEntry("n", 4.0).containsEntry("acc", 0.25).containsEntry("acc_norm", 0.25);
  }

  @Test
  void aChatModelAloneIsRefusedWithWhatToUseInstead(@TempDir Path dir) {
    ChatModel chat = ScriptedChatModel.text("gpt-4", req -> "A");
    McEvaluation mc = new McEvaluation(McSettings.of(Path.of("t.jsonl"), "generic"));
    assertThatThrownBy(() -> mc.evaluate(chat, dir, Progress.NONE)).isInstanceOf(ZephyrException.class)
        .hasMessageContaining("log-likelihoods").hasMessageContaining("evaluateModel");
  }
}
