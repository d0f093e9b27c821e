package dev.zephyr.train.rl;

import dev.zephyr.core.ZephyrException;

/**
 * The advantage arithmetic of TRL's on-policy trainers on plain arrays ({@code [rows][response positions]}): GAE,
 * masked whitening, and RLOO's leave-one-out baseline. Rollout data carries no gradient, so this runs in Java.
 */
public final class Advantages {
  /** Added to the variance before the square root, as TRL's {@code masked_whiten}. */
  static final double WHITEN_EPS = 1e-8;

  private Advantages() {}

  /**
   * Generalised advantage estimation over every position of each row, right to left, as TRL runs it over the whole
   * padded response: {@code delta_t = r_t + gamma V_{t+1} - V_t} (with {@code V} past the last position 0) and
   * {@code A_t = delta_t + gamma lam A_{t+1}}. Padding must already hold zero rewards and values.
   */
  public static double[][] gae(double[][] rewards, double[][] values, double gamma, double lam) {
    double[][] adv = new double[rewards.length][];
    for (int b = 0; b < rewards.length; b++) {
      int n = rewards[b].length;
      adv[b] = new double[n];
      double last = 0;
      for (int t = n - 1; t >= 0; t--) {
        double next = t + 1 < n ? values[b][t + 1] : 0;
        double delta = rewards[b][t] + gamma * next - values[b][t];
        last = delta + gamma * lam * last;
        adv[b][t] = last;
      }
    }
    return adv;
  }

  /**
   * TRL's {@code masked_whiten}: {@code (x - mean) / sqrt(var + 1e-8)} with the mean and the unbiased variance taken
   * over the masked entries only, applied to every entry; {@code shiftMean = false} adds the mean back (rewards keep
   * their level, only their scale changes).
   *
   * @throws ZephyrException when fewer than two entries are masked in (the variance is undefined)
   */
  public static double[][] whiten(double[][] x, boolean[][] mask, boolean shiftMean) {
    double sum = 0;
    long count = 0;
    for (int b = 0; b < x.length; b++) {
      for (int t = 0; t < x[b].length; t++) {
        if (mask[b][t]) {
          sum += x[b][t];
          count++;
        }
      }
    }
    if (count < 2) {
      throw new ZephyrException("cannot whiten over " + count + " response token(s): the variance needs at least 2"
          + " (use a larger batch or a longer response_length)");
    }
    double mean = sum / count;
    double sq = 0;
    for (int b = 0; b < x.length; b++) {
      for (int t = 0; t < x[b].length; t++) {
        if (mask[b][t]) {
          sq += (x[b][t] - mean) * (x[b][t] - mean);
        }
      }
    }
    double variance = sq / count * count / (count - 1);
    double scale = 1 / Math.sqrt(variance + WHITEN_EPS);
    double[][] out = new double[x.length][];
    for (int b = 0; b < x.length; b++) {
      out[b] = new double[x[b].length];
      for (int t = 0; t < x[b].length; t++) {
        out[b][t] = (x[b][t] - mean) * scale + (shiftMean ? 0 : mean);
      }
    }
    return out;
  }

  /** Sets every entry outside {@code mask} to 0, in place; returns {@code x}. */
  public static double[][] zeroOutside(double[][] x, boolean[][] mask) {
    for (int b = 0; b < x.length; b++) {
      for (int t = 0; t < x[b].length; t++) {
        if (!mask[b][t]) {
          x[b][t] = 0;
        }
      }
    }
    return x;
  }

  /**
   * RLOO's advantages: the {@code k * p} rewards are laid out as TRL repeats its prompts, sample {@code i} of prompt
   * {@code j} at {@code i * p + j}; each reward minus the mean of the other {@code k - 1} samples of its prompt.
   */
  public static double[] leaveOneOut(double[] rewards, int k) {
    if (k < 2 || rewards.length % k != 0) {
      throw new IllegalArgumentException("need k >= 2 samples per prompt and a multiple of k rewards, found k = " + k
          + " and " + rewards.length + " rewards");
    }
    int prompts = rewards.length / k;
    double[] adv = new double[rewards.length];
    for (int j = 0; j < prompts; j++) {
      double total = 0;
      for (int i = 0; i < k; i++) {
        total += rewards[i * prompts + j];
      }
      for (int i = 0; i < k; i++) {
        double r = rewards[i * prompts + j];
        adv[i * prompts + j] = r - (total - r) / (k - 1);
      }
    }
    return adv;
  }

  /** {@code (x - mean) / (std + 1e-8)} with the unbiased standard deviation, RLOO's {@code normalize_advantage}. */
  public static double[] normalize(double[] x) {
    if (x.length < 2) {
      throw new ZephyrException("cannot normalize " + x.length + " advantage(s): the deviation needs at least 2");
    }
    double mean = 0;
    for (double v : x) {
      mean += v;
    }
    mean /= x.length;
    double sq = 0;
    for (double v : x) {
      sq += (v - mean) * (v - mean);
    }
    double std = Math.sqrt(sq / (x.length - 1));
    double[] out = new double[x.length];
    for (int i = 0; i < x.length; i++) {
      out[i] = (x[i] - mean) / (std + 1e-8);
    }
    return out;
  }
}
