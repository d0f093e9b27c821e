package dev.zephyr.eval.harness;

import dev.zephyr.core.InvalidInputException;
import dev.zephyr.core.progress.Progress;
import dev.zephyr.eval.mc.Loglikelihood;
import dev.zephyr.eval.mc.LoglikelihoodModel;
import dev.zephyr.eval.mc.LoglikelihoodRequest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Scores lm-evaluation-harness multiple-choice tasks: builds each document's context ({@link FewshotContexts}),
 * asks the model for the log-likelihood of every {@code " " + choice} after it (in batches, longest first as lm-eval
 * orders them), and computes the task's metrics per document and their means and standard errors.
 */
public final class HarnessEvaluator {
  private final LoglikelihoodModel model;
  private final int batchSize;

  public HarnessEvaluator(LoglikelihoodModel model, int batchSize) {
    this.model = model;
    this.batchSize = Math.max(1, batchSize);
  }

  /**
   * The number of documents {@code --limit} keeps of {@code n}: a value below 1 is a fraction (rounded up), as lm-eval
   * reads it; null keeps all.
   */
  public static int limitedCount(int n, Double limit) {
    if (limit == null) {
      return n;
    }
    if (limit < 0 || limit.isNaN()) {
      throw InvalidInputException.field("--limit", "limit", "must be a count or a fraction, got " + limit);
    }
    int kept = limit < 1.0 ? (int) Math.ceil(n * limit) : (int) Math.floor(limit);
    return Math.min(n, kept);
  }

  /**
   * Scores one task.
   *
   * @param evalSplit the documents scored
   * @param fewshotSplit the few-shot source (may be null when {@code numFewshot} is 0)
   * @param limit see {@link #limitedCount}
   * @throws InvalidInputException when no document is left to score
   */
  public TaskResult evaluate(HarnessTask task, HarnessData.Split evalSplit, HarnessData.Split fewshotSplit,
      int numFewshot, Double limit, Progress progress) {
    int n = limitedCount(evalSplit.docs().size(), limit);
    if (n == 0) {
      throw new InvalidInputException(evalSplit.source(), 0, null, "no documents to score for " + task.name()
          + (evalSplit.docs().isEmpty() ? "" : " after --limit " + limit) + "; an accuracy needs at least one");
    }
    List<HarnessDoc> docs = evalSplit.docs().subList(0, n);
    List<HarnessDoc> shots = fewshotSplit == null ? List.of() : fewshotSplit.docs();
    String shotSource = fewshotSplit == null ? evalSplit.source() : fewshotSplit.source();
    List<String> contexts = FewshotContexts.build(task, docs, shots, shotSource, numFewshot);

    List<LoglikelihoodRequest> requests = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      for (String choice : docs.get(i).choices()) {
        requests.add(new LoglikelihoodRequest(contexts.get(i), HarnessTask.TARGET_DELIMITER + choice));
      }
    }
    Loglikelihood[] scores = score(task.name(), requests, progress);

    Map<String, double[]> perMetric = new LinkedHashMap<>();
    task.metrics().forEach(m -> perMetric.put(m, new double[n]));
    List<TaskResult.DocScore> perDoc = new ArrayList<>(n);
    int k = 0;
    for (int i = 0; i < n; i++) {
      HarnessDoc doc = docs.get(i);
      double[] lls = new double[doc.choices().size()];
      for (int j = 0; j < lls.length; j++) {
        lls[j] = scores[k++].logprob();
      }
      Map<String, Double> values = docValues(task, doc, lls);
      for (Map.Entry<String, Double> e : values.entrySet()) {
        perMetric.get(e.getKey())[i] = e.getValue();
      }
      perDoc.add(new TaskResult.DocScore(contexts.get(i), lls, values));
    }
    Map<String, Double> means = new LinkedHashMap<>();
    Map<String, Double> stderrs = new LinkedHashMap<>();
    perMetric.forEach((m, v) -> {
      means.put(m, HarnessMetrics.mean(v));
      stderrs.put(m, HarnessMetrics.meanStderr(v));
    });
    return new TaskResult(task, evalSplit.docs().size(), n, numFewshot, means, stderrs, perDoc);
  }

  /** The task's metric values for one document. */
  static Map<String, Double> docValues(HarnessTask task, HarnessDoc doc, double[] lls) {
    Map<String, Double> values = new LinkedHashMap<>();
    if (task.mc2()) {
      values.put("acc", HarnessMetrics.mc2(lls, doc.trueCount()));
      return values;
    }
    for (String m : task.metrics()) {
      int predicted = m.equals("acc_norm") ? HarnessMetrics.argmaxNormalised(lls, doc.choices())
          : HarnessMetrics.argmax(lls);
      values.put(m, predicted == doc.gold() ? 1.0 : 0.0);
    }
    return values;
  }

  private Loglikelihood[] score(String taskName, List<LoglikelihoodRequest> requests, Progress progress) {
    // longest first, so each batch pads little and an out-of-memory shows on the first batch
    Integer[] order = new Integer[requests.size()];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    java.util.Arrays.sort(order, Comparator.comparingInt((Integer i) -> -(requests.get(i).context().length()
        + requests.get(i).continuation().length())).thenComparingInt(i -> i));
    Loglikelihood[] out = new Loglikelihood[requests.size()];
    try (Progress.Task bar = progress.start(taskName, "requests", requests.size(), 0)) {
      for (int start = 0; start < order.length; start += batchSize) {
        int end = Math.min(order.length, start + batchSize);
        List<LoglikelihoodRequest> batch = new ArrayList<>(end - start);
        for (int i = start; i < end; i++) {
          batch.add(requests.get(order[i]));
        }
        List<Loglikelihood> got = model.loglikelihood(batch);
        if (got.size() != batch.size()) {
          throw new IllegalStateException("model returned " + got.size() + " scores for " + batch.size()
              + " requests");
        }
        for (int i = start; i < end; i++) {
          out[order[i]] = got.get(i - start);
        }
        bar.advance(batch.size());
      }
    }
    return out;
  }
}
