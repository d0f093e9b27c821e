package dev.zephyr.eval.harness;

/** lm-eval's few-shot samplers ({@code lm_eval/api/samplers.py}). */
public enum Sampler {
  /** {@code ContextSampler}: {@code rnd.sample(fewshot_docs, n)} with the task's seeded {@code random.Random}. */
  DEFAULT("default"),
  /** {@code FirstNSampler}: the first {@code n} few-shot documents in file order (MMLU's dev split). */
  FIRST_N("first_n");

  private final String configName;

  Sampler(String configName) {
    this.configName = configName;
  }

  /** The name in a task YAML's {@code fewshot_config.sampler}. */
  public String configName() {
    return configName;
  }
}
