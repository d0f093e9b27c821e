package dev.zephyr.eval.stage;

import dev.zephyr.core.InvalidInputException;
import dev.zephyr.core.config.ConfigKeys;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Multiple-choice log-likelihood accuracy on one task, as {@code zephyr mc} computes it:
 *
 * <pre>
 * mc: {task: FILE.jsonl, format: arc, primer: FILE.txt, limit: N, batch_size: 8, max_length: 2048}
 * </pre>
 *
 * @param task {@code task}: the task's JSONL rows
 * @param format {@code format}: {@code generic} ({@code context}/{@code choices}/{@code gold} rows, the default),
 *     {@code arc}, {@code hellaswag}, {@code mmlu}, {@code truthfulqa_mc1} or {@code hhh} (Hugging Face dataset rows
 *     with lm-evaluation-harness's prompt formats)
 * @param primer {@code primer}: for {@code truthfulqa_mc1}, a file with the few-shot primer put before each question;
 *     null for none
 * @param limit {@code limit} (lm-evaluation-harness's name): only the first N items; 0 for all
 * @param batchSize {@code batch_size}: continuations scored per forward pass
 * @param maxLength {@code max_length}: longest input in tokens (left-truncated beyond it)
 */
public record McSettings(Path task, String format, Path primer, int limit, int batchSize, int maxLength) {
  static final Set<String> KEYS = Set.of("task", "format", "primer", "limit", "batch_size", "max_length");
  /** The row formats {@link dev.zephyr.eval.mc.McTask#read(Path, String, String)} reads. */
  public static final List<String> FORMATS = List.of("generic", "arc", "hellaswag", "mmlu", "truthfulqa_mc1", "hhh");

  public McSettings {
    Objects.requireNonNull(task, "task");
    Objects.requireNonNull(format, "format");
    if (!FORMATS.contains(format)) {
      String hint = ConfigKeys.closest(format, FORMATS).map(c -> " (did you mean '" + c + "'?)").orElse("");
      throw InvalidInputException.field("evaluate.mc", "format", "unknown format '" + format + "'" + hint
          + "; expected one of " + String.join(", ", FORMATS));
    }
    if (primer != null && !format.equals("truthfulqa_mc1")) {
      throw InvalidInputException.field("evaluate.mc", "primer", "only format truthfulqa_mc1 reads a primer, not "
          + format);
    }
    if (limit < 0 || batchSize < 1 || maxLength < 2) {
      throw InvalidInputException.field("evaluate.mc", limit < 0 ? "limit" : batchSize < 1 ? "batch_size"
          : "max_length", limit < 0 ? "must be >= 0 (0 for all items)" : batchSize < 1 ? "must be positive"
          : "must be at least 2 tokens");
    }
  }

  /** A task with {@code zephyr mc}'s defaults: every item, batch 8, inputs up to 2048 tokens. */
  public static McSettings of(Path task, String format) {
    return new McSettings(task, format, null, 0, 8, 2048);
  }

  /** A recipe's options; relative paths resolve against {@code baseDir}, unknown keys are refused. */
  public static McSettings fromOptions(Map<String, Object> options, Path baseDir) {
    StageOptions o = new StageOptions("mc", options, baseDir).requireOnly(KEYS);
    return new McSettings(o.path("task"), o.text("format", "generic"), o.optionalPath("primer"),
        o.integer("limit", 0), o.integer("batch_size", 8), o.integer("max_length", 2048));
  }

  /** Under the YAML names, for manifests. */
  public Map<String, Object> keys() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("task", task.toString());
    m.put("format", format);
    if (primer != null) {
      m.put("primer", primer.toString());
    }
    m.put("limit", limit);
    m.put("batch_size", batchSize);
    m.put("max_length", maxLength);
    return m;
  }
}
