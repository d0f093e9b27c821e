package dev.zephyr.core.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/** Log-probabilities from a {@link LlamaModel}: full log-softmax rows, and per-token log-probs of given sequences. */
public final class LogProbs {
  /** Positions per chunk when projecting to the vocabulary in {@link #tokenLogProbs}. */
  public static final int DEFAULT_CHUNK = 128;

  private LogProbs() {}

  /** Log-softmax over the vocabulary at every position of one unpadded sequence: {@code [T][V]}. */
  public static float[][] rows(LlamaModel model, int[] ids, NDManager manager) {
    try (NDScope scope = new NDScope()) {
      scope.suppressNotUsedWarning();
      NDArray input = manager.create(toLong(ids), new Shape(1, ids.length));
      NDArray lp = model.forward(input, null, null, null).logSoftmax(-1);
      int v = model.config().vocabSize();
      float[] flat = lp.toFloatArray();
      float[][] out = new float[ids.length][v];
      for (int t = 0; t < ids.length; t++) {
        System.arraycopy(flat, t * v, out[t], 0, v);
      }
      return out;
    }
  }

  /**
   * Log-probability of each next token: entry {@code [b, t]} is {@code log p(ids[b, t+1] | ids[b, <=t])}, shape
   * {@code [B, T-1]} float32. Padding positions (mask 0 at t+1) are 0. The vocabulary projection and log-softmax run
   * over {@code chunk} positions at a time, so the full {@code [B, T, V]} tensor never exists at once. Differentiable:
   * call it inside a GradientCollector and sum the entries you need.
   *
   * @param attentionMask {@code [B, T]} 1/0, or null for no padding (left or right padding both work)
   */
  public static NDArray tokenLogProbs(LlamaModel model, NDArray inputIds, NDArray attentionMask, int chunk) {
    if (chunk < 1) {
      throw new IllegalArgumentException("chunk must be >= 1, got " + chunk);
    }
    long t = inputIds.getShape().get(1);
    if (t < 2) {
      throw new IllegalArgumentException("need at least two tokens per sequence, got " + t);
    }
    NDArray out;
    try (NDScope scope = new NDScope()) {
      scope.suppressNotUsedWarning();
      NDArray hidden = model.hidden(inputIds, attentionMask, null, null);
      NDArray ids = inputIds.toType(DataType.INT64, false);
      NDList parts = new NDList();
      for (long start = 0; start < t - 1; start += chunk) {
        long end = Math.min(t - 1, start + chunk);
        NDArray h = hidden.get(new NDIndex(":, {}:{}, :", start, end));
        NDArray targets = ids.get(new NDIndex(":, {}:{}", start + 1, end + 1)).expandDims(2);
        NDArray lp = model.head(h).logSoftmax(-1).gather(targets, 2).squeeze(2);
        parts.add(lp);
      }
      out = parts.size() == 1 ? parts.head() : NDArrays.concat(parts, 1);
      if (attentionMask != null) {
        NDArray next = attentionMask.get(new NDIndex(":, 1:")).toType(DataType.FLOAT32, false);
        out = out.mul(next);
      }
      NDScope.unregister(out);
    }
    NDScope.register(out);
    return out;
  }

  /** {@link #tokenLogProbs(LlamaModel, NDArray, NDArray, int)} with {@link #DEFAULT_CHUNK}. */
  public static NDArray tokenLogProbs(LlamaModel model, NDArray inputIds, NDArray attentionMask) {
    return tokenLogProbs(model, inputIds, attentionMask, DEFAULT_CHUNK);
  }

  static long[] toLong(int[] ids) {
    long[] out = new long[ids.length];
    for (int i = 0; i < ids.length; i++) {
      out[i] = ids[i];
    }
    return out;
  }
}
