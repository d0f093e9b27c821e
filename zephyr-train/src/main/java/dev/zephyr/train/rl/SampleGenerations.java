package dev.zephyr.train.rl;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * TRL's {@code num_sample_generations}: that many times during training (after updates 1, 1 + f, 1 + 2f... with
 * {@code f = max(1, updates / num_sample_generations)}, as TRL spaces them) the policy answers a fixed set of prompts
 * greedily and the answers are scored. TRL prints them as a table; here each answer is one line of
 * {@code samples.jsonl} in the run directory, with TRL's column names:
 * {@code {"step": 1, "query": "...", "model response": "...", "score": 0.42}} ({@code query} and
 * {@code model response} are token-id arrays when the trainer has no tokenizer to decode them). The prompts are the
 * dataset's first {@code per_device_eval_batch_size} (TRL samples one batch of its evaluation set; an on-policy run
 * here has no evaluation set). A resumed run rewrites the lines after its checkpoint, like {@code metrics.jsonl}.
 */
final class SampleGenerations {
  static final String FILE = "samples.jsonl";

  private final long every;

  /** @param count {@code num_sample_generations}; 0 writes none */
  SampleGenerations(int count, long totalSteps) {
    this.every = count == 0 ? 0 : Math.max(1, totalSteps / count);
  }

  /** True when samples are written after update {@code done} (1-based). */
  boolean dueAfter(long done) {
    return every > 0 && (done - 1) % every == 0;
  }

  /** The lines of one sampling: one per prompt, in prompt order. */
  static List<Map<String, Object>> lines(long step, List<int[]> queries, List<int[]> responses, double[] scores,
      Function<int[], Object> text) {
    List<Map<String, Object>> out = new ArrayList<>(queries.size());
    for (int i = 0; i < queries.size(); i++) {
      Map<String, Object> line = new LinkedHashMap<>();
      line.put("step", step);
      line.put("query", text.apply(queries.get(i)));
      line.put("model response", text.apply(responses.get(i)));
      line.put("score", scores[i]);
      out.add(line);
    }
    return out;
  }
}
