package dev.zephyr.eval.mc;

import dev.zephyr.core.progress.Progress;
import java.util.ArrayList;
import java.util.List;

/**
 * lm-evaluation-harness's multiple-choice scoring: each choice is scored as the continuation
 * {@code target_delimiter + choice} of the context; {@code acc} is 1 when the highest log-likelihood is the gold
 * choice, {@code acc_norm} when the highest log-likelihood divided by the choice's length in characters (Python
 * {@code len}, code points) is; {@code acc_bytes} divides by the UTF-8 byte length instead. Ties go to the first
 * choice, as {@code numpy.argmax}. Standard errors are sample standard deviations over sqrt n, as the harness reports.
 */
public final class McEvaluator {
  private final LoglikelihoodModel model;
  private final int batchSize;
  private final String targetDelimiter;

  public McEvaluator(LoglikelihoodModel model, int batchSize, String targetDelimiter) {
    this.model = model;
    this.batchSize = Math.max(1, batchSize);
    this.targetDelimiter = targetDelimiter;
  }

  /** The harness defaults: a single space between context and choice. */
  public McEvaluator(LoglikelihoodModel model, int batchSize) {
    this(model, batchSize, " ");
  }

  /**
   * Metrics over a task.
   *
   * @param perItem per item: scores of each choice, prediction by acc and by acc_norm
   */
  public record Result(int n, double acc, double accStderr, double accNorm, double accNormStderr, double accBytes,
      List<Item> perItem) {}

  /** One item's scores. */
  public record Item(double[] loglikelihoods, int predicted, int predictedNorm, int gold) {}

  public Result evaluate(List<McExample> examples) {
    return evaluate(examples, Progress.NONE);
  }

  /** Metrics over a task, reporting the scored choices (one log-likelihood request each) as task {@code score}. */
  public Result evaluate(List<McExample> examples, Progress progress) {
    List<LoglikelihoodRequest> requests = new ArrayList<>();
    for (McExample e : examples) {
      for (String c : e.choices()) {
        requests.add(new LoglikelihoodRequest(e.context(), targetDelimiter + c));
      }
    }
    List<Loglikelihood> scores = new ArrayList<>(requests.size());
    try (Progress.Task task = progress.start("score", "choices", requests.size(), 0)) {
      for (int start = 0; start < requests.size(); start += batchSize) {
        List<LoglikelihoodRequest> batch = requests.subList(start, Math.min(requests.size(), start + batchSize));
        List<Loglikelihood> got = model.loglikelihood(batch);
        if (got.size() != batch.size()) {
          throw new IllegalStateException("model returned " + got.size() + " scores for " + batch.size()
              + " requests");
        }
        scores.addAll(got);
        task.advance(batch.size());
      }
    }
    double[] acc = new double[examples.size()];
    double[] accNorm = new double[examples.size()];
    double[] accBytes = new double[examples.size()];
    List<Item> items = new ArrayList<>();
    int k = 0;
    for (int i = 0; i < examples.size(); i++) {
      McExample e = examples.get(i);
      int m = e.choices().size();
      double[] ll = new double[m];
      double[] norm = new double[m];
      double[] bytes = new double[m];
      for (int j = 0; j < m; j++) {
        String c = e.choices().get(j);
        ll[j] = scores.get(k++).logprob();
        norm[j] = ll[j] / c.codePointCount(0, c.length());
        bytes[j] = ll[j] / c.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
      }
      int p = argmax(ll);
      int pn = argmax(norm);
      acc[i] = p == e.gold() ? 1 : 0;
      accNorm[i] = pn == e.gold() ? 1 : 0;
      accBytes[i] = argmax(bytes) == e.gold() ? 1 : 0;
      items.add(new Item(ll, p, pn, e.gold()));
    }
    return new Result(examples.size(), mean(acc), meanStderr(acc), mean(accNorm), meanStderr(accNorm),
        mean(accBytes), items);
  }

  /** First index of the maximum, NaN never winning (numpy would return the NaN's index; we want a real choice). */
  static int argmax(double[] v) {
    int best = 0;
    for (int i = 1; i < v.length; i++) {
      if (v[i] > v[best] || Double.isNaN(v[best])) {
        best = i;
      }
    }
    return best;
  }

  private static double mean(double[] v) {
    double s = 0;
    for (double x : v) {
      s += x;
    }
    return v.length == 0 ? Double.NaN : s / v.length;
  }

  /**
   * lm-eval's {@code mean_stderr}: the sample standard deviation (n - 1) over sqrt(n); NaN for fewer than two values
   * (lm-eval reports "N/A").
   */
  public static double meanStderr(double[] v) {
    if (v.length < 2) {
      return Double.NaN;
    }
    double m = mean(v);
    double ss = 0;
    for (double x : v) {
      ss += (x - m) * (x - m);
    }
    return Math.sqrt(ss / (v.length - 1)) / Math.sqrt(v.length);
  }
}
