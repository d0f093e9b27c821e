package dev.zephyr.eval.stage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.zephyr.core.InvalidInputException;
import dev.zephyr.core.eval.Evaluation;
import dev.zephyr.eval.alpacaeval.PairwiseAnnotator;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Each evaluation owns its keys: bound with defaults, paths against the recipe, unknown keys refused by name. */
class EvaluationsTest {
  private static final Path BASE = Path.of("/recipes/zephyr");
  private static final Map<String, Object> JUDGE = Map.of("base_url", "http://localhost:1/v1");

  @Test
  void mtBenchBindsItsKeysWithFastChatDefaults() {
    Evaluation e = Evaluations.of("mt_bench", Map.of("bench_dir", "data/mt_bench", "judge", JUDGE, "first_n", 5),
        BASE);
    assertThat(e).isInstanceOf(MtBenchEvaluation.class);
    assertThat(e.name()).isEqualTo("mt_bench");
    assertThat(e.config()).containsEntry("bench_dir", "/recipes/zephyr/data/mt_bench")
        .containsEntry("max_new_token", 1024).containsEntry("batch_size", 8).containsEntry("first_n", 5)
        .containsEntry("judge", Map.of("base_url", "http://localhost:1/v1", "model", "gpt-4",
            "api_key_env", "OPENAI_API_KEY"));
  }

  @Test
  void alpacaEvalChoosesTheParserOfItsAnnotator() {
    AlpacaEvalSettings s = AlpacaEvalSettings.fromOptions(Map.of("eval_set", "ref.json", "annotator_prompt",
        "p.txt", "annotator", "alpaca_eval_gpt4", "judge", JUDGE), BASE);
    assertThat(s.parser()).isEqualTo(PairwiseAnnotator.Parser.RANKING);
    assertThat(s.judge().model()).isEqualTo("gpt-4-1106-preview");
    assertThat(s.evalSet()).isEqualTo(BASE.resolve("ref.json"));
    assertThat(s.temperature()).isEqualTo(0.7);
    assertThatThrownBy(() -> AlpacaEvalSettings.fromOptions(Map.of("eval_set", "r", "annotator_prompt", "p",
        "annotator", "gpt5_judge", "judge", JUDGE), BASE)).hasMessageContaining("annotator")
        .hasMessageContaining("gpt5_judge");
  }

  @Test
  void unknownKeysAndNamesAreRefusedByName() {
    assertThatThrownBy(() -> Evaluations.of("mt_bench", Map.of("bench_dir", "b", "judge", JUDGE, "max_new_tokens",
        10), BASE)).isInstanceOf(InvalidInputException.class).hasMessageContaining("'evaluate.mt_bench.max_new_tokens'")
        .hasMessageContaining("did you mean 'max_new_token'?");
    assertThatThrownBy(() -> Evaluations.of("mt_bench", Map.of("bench_dir", "b", "judge",
        Map.of("base_url", "u", "modle", "m")), BASE)).hasMessageContaining("'evaluate.mt_bench.judge.modle'")
        .hasMessageContaining("did you mean 'model'?");
    assertThatThrownBy(() -> Evaluations.of("arena_hard", Map.of(), BASE))
        .hasMessageContaining("unknown evaluation 'arena_hard'").hasMessageContaining("alpaca_eval, mc, mt_bench");
  }
}
