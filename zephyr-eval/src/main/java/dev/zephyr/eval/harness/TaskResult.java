package dev.zephyr.eval.harness;

import java.util.List;
import java.util.Map;

/**
 * One task's scores: the documents in the split and those scored ({@code --limit}), the few-shot count, each
 * metric's mean and standard error in the task's metric order (a standard error is NaN, reported "N/A", for a
 * single document), and every document's scores.
 */
public record TaskResult(HarnessTask task, int originalDocs, int effectiveDocs, int numFewshot,
    Map<String, Double> metrics, Map<String, Double> stderrs, List<DocScore> docs) {
  public TaskResult {
    metrics = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(metrics));
    stderrs = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(stderrs));
    docs = List.copyOf(docs);
  }

  /**
   * One document's scores.
   *
   * @param context the prompt the choices were scored after
   * @param loglikelihoods each choice's log-likelihood
   * @param values each metric's value for this document (0/1, or MC2's probability)
   */
  public record DocScore(String context, double[] loglikelihoods, Map<String, Double> values) {}
}
