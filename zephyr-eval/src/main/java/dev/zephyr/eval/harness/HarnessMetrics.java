package dev.zephyr.eval.harness;

import dev.zephyr.eval.mc.McEvaluator;
import java.util.List;

/**
 * lm-evaluation-harness's multiple-choice metrics and aggregations ({@code lm_eval/api/task.py}
 * {@code process_results}, {@code lm_eval/api/metrics.py}, {@code truthfulqa/utils.py}).
 */
public final class HarnessMetrics {
  private HarnessMetrics() {}

  /** {@code numpy.argmax}: the first index of the maximum, where a NaN counts as the maximum. */
  public static int argmax(double[] v) {
    int best = 0;
    for (int i = 0; i < v.length; i++) {
      if (Double.isNaN(v[i])) {
        return i;
      }
      if (v[i] > v[best]) {
        best = i;
      }
    }
    return best;
  }

  /** {@code acc_norm}'s prediction: argmax of each log-likelihood over its choice's length in characters. */
  public static int argmaxNormalised(double[] loglikelihoods, List<String> choices) {
    double[] norm = new double[loglikelihoods.length];
    for (int i = 0; i < norm.length; i++) {
      String c = choices.get(i);
      norm[i] = loglikelihoods[i] / c.codePointCount(0, c.length());
    }
    return argmax(norm);
  }

  /**
   * TruthfulQA MC2 ({@code process_results_mc2}): the probability mass of the first {@code trueCount} choices over
   * all choices, the probabilities being {@code exp} of the log-likelihoods. Shifted by the largest log-likelihood
   * before exponentiating (the ratio is unchanged), so very unlikely answers do not underflow to 0 / 0.
   */
  public static double mc2(double[] loglikelihoods, int trueCount) {
    double max = Double.NEGATIVE_INFINITY;
    for (double ll : loglikelihoods) {
      max = Math.max(max, ll);
    }
    double all = 0;
    double truthful = 0;
    for (int i = 0; i < loglikelihoods.length; i++) {
      double p = Math.exp(loglikelihoods[i] - max);
      all += p;
      if (i < trueCount) {
        truthful += p;
      }
    }
    return truthful / all;
  }

  /** {@code mean}: sum over count. */
  public static double mean(double[] v) {
    if (v.length == 0) {
      throw new IllegalArgumentException("no values to average");
    }
    double s = 0;
    for (double x : v) {
      s += x;
    }
    return s / v.length;
  }

  /** {@code mean_stderr} (see {@link McEvaluator#meanStderr}); NaN, reported "N/A", for a single value. */
  public static double meanStderr(double[] v) {
    return McEvaluator.meanStderr(v);
  }

  /** {@code aggregate_subtask_metrics}: the mean of subtask values, weighted by size or not. */
  public static double aggregate(double[] values, int[] sizes, boolean weightBySize) {
    double num = 0;
    double den = 0;
    for (int i = 0; i < values.length; i++) {
      double w = weightBySize ? sizes[i] : 1;
      num += values[i] * w;
      den += w;
    }
    return num / den;
  }

  /**
   * {@code pooled_sample_stderr}: the standard error of a group from its subtasks' standard errors and sizes,
   * {@code sqrt(sum((n_i - 1) * se_i^2 * n_i) / (N - k) / N)}; NaN when any subtask's is.
   */
  public static double pooledStderr(double[] stderrs, int[] sizes) {
    double num = 0;
    long total = 0;
    for (int i = 0; i < stderrs.length; i++) {
      num += (sizes[i] - 1) * stderrs[i] * stderrs[i] * sizes[i];
      total += sizes[i];
    }
    double pooledVariance = num / (total - stderrs.length);
    return Math.sqrt(pooledVariance / total);
  }
}
