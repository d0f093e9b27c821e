package dev.zephyr.train.rl;

import java.util.Arrays;
import java.util.Locale;

/**
 * How a per-token KL penalty to the reference is estimated from one sampled token, TRL's {@code kl_estimator}. With
 * {@code r = log pi_ref(y) - log pi(y)} for a token drawn from the policy: {@code k1 = -r} (unbiased, can be
 * negative per token) and {@code k3 = (e^r - 1) - r} (unbiased, never negative, lower variance; Schulman's "Approximating
 * KL divergence").
 */
public enum KlEstimator {
  K1("k1"),
  K3("k3");

  private final String hfName;

  KlEstimator(String hfName) {
    this.hfName = hfName;
  }

  /** The recipe value: {@code k1} or {@code k3}. */
  public String hfName() {
    return hfName;
  }

  /** The estimate for a token with policy log-prob {@code logprob} and reference log-prob {@code refLogprob}. */
  public double of(double logprob, double refLogprob) {
    double logRatio = refLogprob - logprob;
    return this == K1 ? -logRatio : Math.expm1(logRatio) - logRatio;
  }

  /** Parses {@code k1} / {@code k3}. */
  public static KlEstimator fromHfName(String name) {
    for (KlEstimator e : values()) {
      if (e.hfName.equals(name.toLowerCase(Locale.ROOT))) {
        return e;
      }
    }
    throw new IllegalArgumentException("expected one of " + Arrays.stream(values()).map(KlEstimator::hfName).toList()
        + ", found '" + name + "'");
  }
}
