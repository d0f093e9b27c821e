package dev.zephyr.eval.stage;

import dev.zephyr.core.InvalidInputException;
import dev.zephyr.core.eval.Evaluation;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The evaluations a recipe's {@code evaluate} stage names, by name. A new benchmark adds its settings record, its
 * {@link Evaluation} and one line here.
 */
public final class Evaluations {
  /** The names a recipe may use. */
  public static final Set<String> NAMES = new TreeSet<>(List.of("mt_bench", "alpaca_eval", "mc"));

  private Evaluations() {}

  /**
   * The evaluation {@code name} built from its options (relative paths against {@code baseDir}); fits
   * {@code dev.zephyr.train.recipe.ReadyStages.Evaluations}.
   *
   * @throws InvalidInputException naming the evaluation and the key at fault, or the names there are
   */
  public static Evaluation of(String name, Map<String, Object> options, Path baseDir) {
    return switch (name) {
      case "mt_bench" -> new MtBenchEvaluation(MtBenchSettings.fromOptions(options, baseDir));
      case "alpaca_eval" -> new AlpacaEvalEvaluation(AlpacaEvalSettings.fromOptions(options, baseDir));
      case "mc" -> new McEvaluation(McSettings.fromOptions(options, baseDir));
      default -> throw InvalidInputException.field("recipe stage evaluate", name, "unknown evaluation '" + name
          + "' (supported: " + String.join(", ", NAMES) + ")");
    };
  }
}
