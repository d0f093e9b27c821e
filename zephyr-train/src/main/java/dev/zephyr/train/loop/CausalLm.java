package dev.zephyr.train.loop;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import dev.zephyr.core.model.LlamaModel;

/**
 * Helpers for causal-LM losses on right-padded (and possibly packed) batches: the additive attention bias built from
 * per-token document ids, and chunked next-token log-probabilities from hidden states.
 */
public final class CausalLm {
  /** Additive bias for disallowed attention: large but finite, so fully masked rows stay NaN-free. */
  static final float MASKED = -1e30f;

  private CausalLm() {}

  /**
   * Block-diagonal causal bias {@code [B, 1, T, T]}: query i may see key j when j &lt;= i and both belong to the same
   * document ({@code docIds[b][i] == docIds[b][j] >= 0}); padding ({@code -1}) sees only itself.
   */
  public static NDArray attentionBias(NDManager m, int[][] docIds) {
    int b = docIds.length;
    int t = docIds[0].length;
    float[] bias = new float[b * t * t];
    for (int r = 0; r < b; r++) {
      int[] d = docIds[r];
      int base = r * t * t;
      for (int i = 0; i < t; i++) {
        int row = base + i * t;
        for (int j = 0; j < t; j++) {
          boolean ok = j <= i && d[i] == d[j] && (d[j] >= 0 || i == j);
          bias[row + j] = ok ? 0f : MASKED;
        }
      }
    }
    return m.create(bias, new Shape(b, 1, t, t));
  }

  /**
   * {@code log p(ids[:, t+1] | ids[:, <=t])} for t in [0, T-1), shape {@code [B, T-1]}, from final hidden states
   * {@code [B, T, H]}. The vocabulary projection runs {@code chunk} positions at a time so the whole
   * {@code [B, T, V]} logits tensor never exists at once. Differentiable.
   */
  public static NDArray nextTokenLogProbs(LlamaModel model, NDArray hidden, NDArray ids, int chunk) {
    long t = ids.getShape().get(1);
    NDList parts = new NDList();
    for (long start = 0; start < t - 1; start += chunk) {
      long end = Math.min(t - 1, start + chunk);
      NDArray h = hidden.get(new NDIndex(":, {}:{}, :", start, end));
      NDArray targets = ids.get(new NDIndex(":, {}:{}", start + 1, end + 1)).expandDims(2);
      NDArray logits = model.head(h);
      NDArray logSoftmax = logits.logSoftmax(-1);
      // autograd keeps what backward needs; dropping our handles frees the [B, chunk, V] logits now instead of at
      // the end of the step scope
      logits.close();
      NDArray picked = logSoftmax.gather(targets, 2);
      logSoftmax.close();
      parts.add(picked.squeeze(2));
    }
    return parts.size() == 1 ? parts.head() : NDArrays.concat(parts, 1);
  }
}
