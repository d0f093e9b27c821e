package dev.zephyr.core.eval;

import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * What an {@link Evaluation} found: headline numbers under their usual names ({@code "score"}, {@code "win_rate"},
 * {@code "length_controlled_winrate"}...) and the files it wrote (answers, judgments, tables, charts).
 *
 * @param evaluation name of the evaluation
 * @param model name of the model under test
 * @param metrics headline numbers, in insertion order
 * @param files files written, by role ({@code "answers"}, {@code "judgments"}, {@code "report"})
 */
public record EvalReport(String evaluation, String model, Map<String, Double> metrics, Map<String, Path> files) {
  public EvalReport {
    Objects.requireNonNull(evaluation, "evaluation");
    Objects.requireNonNull(model, "model");
    metrics = Collections.unmodifiableMap(new LinkedHashMap<>(metrics == null ? Map.of() : metrics));
    files = files == null ? Map.of() : Map.copyOf(files);
  }

  /** One metric, or an error naming the ones that exist. */
  public double metric(String name) {
    Double value = metrics.get(name);
    if (value == null) {
      throw new IllegalArgumentException(
          "evaluation '" + evaluation + "' has no metric '" + name + "' (has " + metrics.keySet() + ")");
    }
    return value;
  }
}
