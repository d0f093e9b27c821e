package dev.zephyr.quickstart;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.zephyr.core.io.AtomicFiles;
import dev.zephyr.core.io.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * {@code quickstart-results.json}: the paper's ablation on the miniature world.
 *
 * <pre>{@code
 * {"rows": [{"model": "base", "judge_score": 3.1, "win_rate_vs_dsft": 0.2}, ...],
 *  "dpo": {"rewards/accuracies": 0.9, "rewards/margins": 2.0}, "seconds": 412}
 * }</pre>
 */
public record QuickstartResults(List<Row> rows, Dpo dpo, long seconds) {
  public static final String FILE = "quickstart-results.json";
  /** Row names, in the order the paper's ablation lists them. */
  public static final List<String> MODELS = List.of("base", "dsft", "ddpo", "dsft+ddpo");

  public QuickstartResults {
    rows = List.copyOf(rows);
  }

  /** One model of the ablation: {@code base}, {@code dsft}, {@code ddpo} (DPO without dSFT) or {@code dsft+ddpo}. */
  public record Row(
      String model,
      @JsonProperty("judge_score") double judgeScore,
      @JsonProperty("win_rate_vs_dsft") double winRateVsDsft) {}

  /** DPO's final training metrics, under TRL's names. */
  public record Dpo(
      @JsonProperty("rewards/accuracies") double rewardsAccuracies,
      @JsonProperty("rewards/margins") double rewardsMargins) {}

  /** The row of a model, or an error naming the rows present. */
  public Row row(String model) {
    return row(rows, model);
  }

  /** Writes {@code dir/quickstart-results.json} atomically. */
  public Path write(Path dir) {
    return writeJson(this, dir.resolve(FILE));
  }

  /** Reads a results file. */
  public static QuickstartResults read(Path file) {
    return readJson(file, QuickstartResults.class);
  }

  /** The row of {@code model} in {@code rows}, or an error naming the rows present. */
  static Row row(List<Row> rows, String model) {
    return rows.stream().filter(r -> r.model().equals(model)).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no row '" + model + "' in " + rows));
  }

  /** Writes {@code value} as pretty-printed JSON to {@code file}, atomically. */
  static Path writeJson(Object value, Path file) {
    AtomicFiles.write(file, out -> out.write(Json.mapper().writerWithDefaultPrettyPrinter().writeValueAsBytes(value)));
    return file;
  }

  /** Reads a results file written by {@link #writeJson}. */
  static <T> T readJson(Path file, Class<T> type) {
    try {
      return Json.mapper().readValue(file.toFile(), type);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }

  /** The ablation as a fixed-width text table, followed by DPO's metrics and the wall time. */
  public String table() {
    return ablation() + String.format(Locale.ROOT, "Wall time: %d s%n", seconds);
  }

  /**
   * The ablation table and DPO's metrics: what a seed determines (the README shows it, checked against
   * {@code docs/quickstart-seed42.json} by a test), without the wall time, which depends on the machine.
   */
  public String ablation() {
    StringBuilder sb = new StringBuilder(rowsTable(rows));
    sb.append(String.format(Locale.ROOT, "%nDPO (last step): rewards/accuracies %.3f, rewards/margins %.3f%n",
        dpo.rewardsAccuracies(), dpo.rewardsMargins()));
    return sb.toString();
  }

  /** The rows as a fixed-width table: model, mean judge score, win rate against dSFT. */
  static String rowsTable(List<Row> rows) {
    StringBuilder sb = new StringBuilder();
    sb.append(String.format(Locale.ROOT, "%-12s %12s %18s%n", "model", "judge score", "win rate vs dSFT"));
    sb.append("-".repeat(12)).append(' ').append("-".repeat(12)).append(' ').append("-".repeat(18)).append('\n');
    for (Row r : rows) {
      sb.append(String.format(Locale.ROOT, "%-12s %12.2f %17.1f%%%n", label(r.model()), r.judgeScore(),
          100 * r.winRateVsDsft()));
    }
    return sb.toString();
  }

  private static String label(String model) {
    return switch (model) {
      case "base" -> "base";
      case "dsft" -> "dSFT";
      case "ddpo" -> "dDPO";
      case "dsft+ddpo" -> "dSFT+dDPO";
      default -> model;
    };
  }
}
