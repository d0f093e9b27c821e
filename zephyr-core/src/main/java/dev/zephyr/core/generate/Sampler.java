package dev.zephyr.core.generate;

import dev.zephyr.core.chat.SamplingParams;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Picks the next token from one row of logits, in vLLM's and transformers' order: the sequence's penalties
 * ({@link TokenPenalties}: repetition, then frequency and presence), then (when sampling) temperature, top-k, top-p,
 * and a draw from the per-request random stream. Greedy decoding (temperature 0) takes the first arg-max of the
 * penalised logits.
 */
public final class Sampler {
  private Sampler() {}

  /**
   * @param logits one row of raw logits (modified in place)
   * @param penalties the sequence's penalties and token history ({@link TokenPenalties#none()} for none)
   */
  public static int next(float[] logits, TokenPenalties penalties, SamplingParams p, SplittableRandom rng) {
    penalties.apply(logits);
    if (p.isGreedy()) {
      return argMax(logits);
    }
    float invTemp = (float) (1.0 / p.temperature());
    for (int i = 0; i < logits.length; i++) {
      logits[i] *= invTemp;
    }
    if (p.topK() > 0 && p.topK() < logits.length) {
      applyTopK(logits, p.topK());
    }
    if (p.topP() < 1.0) {
      applyTopP(logits, p.topP());
    }
    return draw(logits, rng.nextDouble());
  }

  static int argMax(float[] logits) {
    int best = 0;
    for (int i = 1; i < logits.length; i++) {
      if (logits[i] > logits[best]) {
        best = i;
      }
    }
    return best;
  }

  /** Removes logits strictly below the k-th largest (ties with it survive, as in transformers). */
  static void applyTopK(float[] logits, int k) {
    float[] sorted = logits.clone();
    Arrays.sort(sorted);
    float threshold = sorted[sorted.length - k];
    for (int i = 0; i < logits.length; i++) {
      if (logits[i] < threshold) {
        logits[i] = Float.NEGATIVE_INFINITY;
      }
    }
  }

  /**
   * Nucleus filtering as transformers' TopPLogitsWarper: sort ascending, remove tokens whose cumulative probability is
   * at most {@code 1 - topP}; the most likely token always stays.
   */
  static void applyTopP(float[] logits, double topP) {
    int n = logits.length;
    Integer[] order = new Integer[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    Arrays.sort(order, (a, b) -> Float.compare(logits[a], logits[b]));
    double max = logits[order[n - 1]];
    double[] probs = new double[n];
    double z = 0;
    for (int i = 0; i < n; i++) {
      probs[i] = Math.exp(logits[order[i]] - max);
      z += probs[i];
    }
    double cum = 0;
    for (int i = 0; i < n - 1; i++) {
      cum += probs[i] / z;
      if (cum <= 1 - topP) {
        logits[order[i]] = Float.NEGATIVE_INFINITY;
      } else {
        break;
      }
    }
  }

  /** Inverse-CDF draw from softmax(logits) with a uniform {@code u} in [0, 1). */
  static int draw(float[] logits, double u) {
    float max = Float.NEGATIVE_INFINITY;
    for (float l : logits) {
      max = Math.max(max, l);
    }
    // one exp per token: the weights are kept for the cumulative walk
    double[] weights = new double[logits.length];
    double z = 0;
    for (int i = 0; i < logits.length; i++) {
      double w = logits[i] == Float.NEGATIVE_INFINITY ? 0 : Math.exp(logits[i] - max);
      weights[i] = w;
      z += w;
    }
    double target = u * z;
    double cum = 0;
    int last = -1;
    for (int i = 0; i < logits.length; i++) {
      if (weights[i] == 0) {
        continue;
      }
      cum += weights[i];
      last = i;
      if (cum > target) {
        return i;
      }
    }
    return last;
  }

  /** log softmax(logits)[id], in double precision. */
  public static float logProb(float[] logits, int id) {
    return LogSoftmax.of(logits).at(id);
  }

  /** The log-softmax of one row of logits with its normaliser computed once, for reading several entries. */
  record LogSoftmax(float[] logits, double max, double logZ) {
    static LogSoftmax of(float[] logits) {
      double max = Double.NEGATIVE_INFINITY;
      for (float l : logits) {
        max = Math.max(max, l);
      }
      double z = 0;
      for (float l : logits) {
        z += Math.exp(l - max);
      }
      return new LogSoftmax(logits, max, Math.log(z));
    }

    /** log softmax(logits)[id]. */
    float at(int id) {
      return (float) (logits[id] - max - logZ);
    }
  }
}
