package dev.zephyr.eval.stage;

import dev.zephyr.core.InvalidInputException;
import dev.zephyr.eval.alpacaeval.PairwiseAnnotator;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * AlpacaEval against an eval set's reference outputs, as {@code zephyr alpaca-eval generate}, {@code annotate} and
 * {@code score} run it:
 *
 * <pre>
 * alpaca_eval: {eval_set: FILE.json, annotator_prompt: FILE.txt, annotator: alpaca_eval_gpt4, judge: {...},
 *               max_new_tokens: 2048, temperature: 0.7, batch_size: 8}
 * </pre>
 *
 * @param evalSet {@code eval_set}: the reference outputs (alpaca_eval's JSON layout)
 * @param annotatorPrompt {@code annotator_prompt}: the annotator's prompt template
 * @param annotator {@code annotator}: {@code weighted_alpaca_eval_gpt4_turbo} (default),
 *     {@code alpaca_eval_clf_gpt4_turbo} or {@code alpaca_eval_gpt4}, which decides how the judge's answer is read
 * @param judge the judge endpoint ({@code gpt-4-1106-preview} unless named)
 * @param maxNewTokens {@code max_new_tokens} per output
 * @param temperature {@code temperature} of the model's outputs
 * @param batchSize {@code batch_size}
 */
public record AlpacaEvalSettings(Path evalSet, Path annotatorPrompt, String annotator, JudgeEndpoint judge,
    int maxNewTokens, double temperature, int batchSize) {
  static final Set<String> KEYS = Set.of("eval_set", "annotator_prompt", "annotator", "judge", "max_new_tokens",
      "temperature", "batch_size");

  public AlpacaEvalSettings {
    Objects.requireNonNull(evalSet, "eval_set");
    Objects.requireNonNull(annotatorPrompt, "annotator_prompt");
    Objects.requireNonNull(judge, "judge");
    parser(annotator);
    if (maxNewTokens < 1 || batchSize < 1 || !(temperature >= 0)) {
      throw InvalidInputException.field("evaluate.alpaca_eval", maxNewTokens < 1 ? "max_new_tokens"
          : batchSize < 1 ? "batch_size" : "temperature", maxNewTokens < 1 || batchSize < 1 ? "must be positive"
          : "must be >= 0");
    }
  }

  /** A recipe's options; relative paths resolve against {@code baseDir}, unknown keys are refused. */
  public static AlpacaEvalSettings fromOptions(Map<String, Object> options, Path baseDir) {
    StageOptions o = new StageOptions("alpaca_eval", options, baseDir).requireOnly(KEYS);
    return new AlpacaEvalSettings(o.path("eval_set"), o.path("annotator_prompt"),
        o.text("annotator", "weighted_alpaca_eval_gpt4_turbo"), o.judge("gpt-4-1106-preview"),
        o.integer("max_new_tokens", 2048), o.number("temperature", 0.7), o.integer("batch_size", 8));
  }

  /** How the annotator's answer is read. */
  public PairwiseAnnotator.Parser parser() {
    return parser(annotator);
  }

  private static PairwiseAnnotator.Parser parser(String annotator) {
    return switch (String.valueOf(annotator)) {
      case "weighted_alpaca_eval_gpt4_turbo" -> PairwiseAnnotator.Parser.LOGPROB_WEIGHTED;
      case "alpaca_eval_clf_gpt4_turbo" -> PairwiseAnnotator.Parser.LOGPROB_BINARY;
      case "alpaca_eval_gpt4" -> PairwiseAnnotator.Parser.RANKING;
      default -> throw InvalidInputException.field("evaluate.alpaca_eval", "annotator", "unknown '" + annotator
          + "' (expected weighted_alpaca_eval_gpt4_turbo, alpaca_eval_clf_gpt4_turbo or alpaca_eval_gpt4)");
    };
  }

  /** Under the YAML names, for manifests. */
  public Map<String, Object> keys() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("eval_set", evalSet.toString());
    m.put("annotator_prompt", annotatorPrompt.toString());
    m.put("annotator", annotator);
    m.put("judge", judge.keys());
    m.put("max_new_tokens", maxNewTokens);
    m.put("temperature", temperature);
    m.put("batch_size", batchSize);
    return m;
  }
}
