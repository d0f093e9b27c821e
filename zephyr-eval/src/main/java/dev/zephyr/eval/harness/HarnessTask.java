package dev.zephyr.eval.harness;

import java.util.List;
import java.util.Objects;

/**
 * One lm-evaluation-harness task as its YAML configures it: where its rows come from (the Hub dataset, its
 * configuration and the splits evaluated and sampled for few-shot examples), how a row becomes a document, the
 * prompt's description line and delimiters, the few-shot sampler, the metrics and the task version.
 *
 * @param name the lm-eval task name ({@code arc_challenge}, {@code mmlu_anatomy}...)
 * @param alias the name lm-eval prints ({@code task_alias}; the name when the YAML sets none)
 * @param datasetPaths the Hub dataset's names, current first (lm-eval's {@code dataset_path}; older configs used the
 *     un-namespaced one), which are also the folder names looked for under a data directory
 * @param datasetName the Hub configuration ({@code dataset_name}), or null for the default one
 * @param evalSplit the split scored ({@code test_split}, else {@code validation_split})
 * @param fewshotSplit the split few-shot examples come from ({@code fewshot_split}, else training, validation, test)
 * @param drawsExtra whether the sampler draws {@code k + 1} documents and drops the evaluated one: lm-eval does so
 *     when the YAML's {@code fewshot_split} equals its {@code test_split}, which includes both being unset
 * @param sampler the few-shot sampler
 * @param description text put before the few-shot examples ({@code description}; empty for none)
 * @param defaultFewshot the number of few-shot examples used when none is asked for (the Open LLM Leaderboard's)
 * @param metrics the metric names lm-eval reports for the task ({@code acc}, {@code acc_norm})
 * @param mc2 whether {@code acc} is TruthfulQA MC2's normalised probability of the true answers
 * @param version the task version ({@code metadata.version})
 * @param format turns rows into documents
 */
public record HarnessTask(String name, String alias, List<String> datasetPaths, String datasetName, String evalSplit,
    String fewshotSplit, boolean drawsExtra, Sampler sampler, String description, int defaultFewshot,
    List<String> metrics, boolean mc2, double version, DocFormat format) {
  /** lm-eval's default {@code target_delimiter}: between a context and each choice. */
  public static final String TARGET_DELIMITER = " ";
  /** lm-eval's default {@code fewshot_delimiter}: after each few-shot example. */
  public static final String FEWSHOT_DELIMITER = "\n\n";

  public HarnessTask {
    Objects.requireNonNull(name, "name");
    datasetPaths = List.copyOf(datasetPaths);
    metrics = List.copyOf(metrics);
    description = description == null ? "" : description;
  }

  /** Whether the few-shot examples come from the split being evaluated. */
  public boolean fewshotFromEvalSplit() {
    return fewshotSplit.equals(evalSplit);
  }
}
