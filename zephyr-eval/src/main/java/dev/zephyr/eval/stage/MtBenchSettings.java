package dev.zephyr.eval.stage;

import dev.zephyr.core.InvalidInputException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * MT-Bench single-answer grading, as {@code zephyr mt-bench answer}, {@code judge} and {@code show} run it:
 *
 * <pre>
 * mt_bench: {bench_dir: DIR, judge: {base_url: URL, model: gpt-4, api_key_env: OPENAI_API_KEY},
 *            max_new_token: 1024, batch_size: 8, first_n: N}
 * </pre>
 *
 * @param benchDir {@code bench_dir}: FastChat's layout ({@code question.jsonl}, {@code judge_prompts.jsonl},
 *     {@code reference_answer/})
 * @param judge the judge endpoint (model {@code gpt-4} unless named)
 * @param maxNewToken {@code max_new_token} (FastChat's spelling): tokens per answer
 * @param batchSize {@code batch_size}: questions or judgments per batch
 * @param firstN {@code first_n}: only the first N questions; 0 for all
 */
public record MtBenchSettings(Path benchDir, JudgeEndpoint judge, int maxNewToken, int batchSize, int firstN) {
  static final Set<String> KEYS = Set.of("bench_dir", "judge", "max_new_token", "batch_size", "first_n");

  public MtBenchSettings {
    Objects.requireNonNull(benchDir, "bench_dir");
    Objects.requireNonNull(judge, "judge");
    if (maxNewToken < 1 || batchSize < 1 || firstN < 0) {
      throw InvalidInputException.field("evaluate.mt_bench", maxNewToken < 1 ? "max_new_token"
          : batchSize < 1 ? "batch_size" : "first_n", "must be positive");
    }
  }

  /** A recipe's options; relative paths resolve against {@code baseDir}, unknown keys are refused. */
  public static MtBenchSettings fromOptions(Map<String, Object> options, Path baseDir) {
    StageOptions o = new StageOptions("mt_bench", options, baseDir).requireOnly(KEYS);
    return new MtBenchSettings(o.path("bench_dir"), o.judge("gpt-4"), o.integer("max_new_token", 1024),
        o.integer("batch_size", 8), o.integer("first_n", 0));
  }

  /** Under the YAML names, for manifests. */
  public Map<String, Object> keys() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("bench_dir", benchDir.toString());
    m.put("judge", judge.keys());
    m.put("max_new_token", maxNewToken);
    m.put("batch_size", batchSize);
    m.put("first_n", firstN);
    return m;
  }
}
