package dev.zephyr.core.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * What the decoder needs besides token ids, built on the host from a padding mask: the combined mask over cached and
 * new tokens, transformers' position ids, and the additive attention bias (causal, sliding window, padding).
 */
final class AttentionMasks {
  /** Additive mask value: finite so that fully masked (padding) query rows give a uniform softmax, not NaN. */
  static final float MASKED = -1e30f;

  private AttentionMasks() {}

  /**
   * The mask over past + current tokens, or null when nothing is padded and there is no cache.
   *
   * @param attentionMask {@code [B, T]} or {@code [B, past + T]}, 1 for real tokens; may be null
   */
  static long[][] fullMask(NDArray attentionMask, int batch, int t, int past, KvCache cache) {
    long[][] pastMask = cache == null ? null : cache.mask();
    if (attentionMask == null && pastMask == null) {
      return null;
    }
    long[][] full = new long[batch][past + t];
    long[] given = attentionMask == null ? null : attentionMask.toType(DataType.INT64, false).toLongArray();
    int width = attentionMask == null ? 0 : (int) attentionMask.getShape().get(1);
    if (given != null && width != t && width != past + t) {
      throw new IllegalArgumentException("attentionMask has width " + width + ", expected " + t + " or " + (past + t));
    }
    boolean padded = false;
    for (int b = 0; b < batch; b++) {
      for (int j = 0; j < past + t; j++) {
        long v;
        if (given != null && width == past + t) {
          v = given[b * width + j];
        } else if (j < past) {
          v = pastMask == null ? 1 : pastMask[b][j];
        } else {
          v = given == null ? 1 : given[b * width + (j - past)];
        }
        full[b][j] = v;
        padded |= v == 0;
      }
    }
    return padded || cache != null ? full : null;
  }

  /** transformers' position ids {@code [B * T]}: cumulative sum of the mask minus one, 1 on padding. */
  static long[] positions(long[][] mask, int batch, int t, int past) {
    long[] pos = new long[batch * t];
    for (int b = 0; b < batch; b++) {
      long count = 0;
      for (int j = 0; j < past + t; j++) {
        long mj = mask == null ? 1 : mask[b][j];
        count += mj;
        if (j >= past) {
          pos[b * t + j - past] = mj == 0 ? 1 : count - 1;
        }
      }
    }
    return pos;
  }

  /** Additive bias {@code [B or 1, 1, T, past + T]}: causal, sliding window (null for none), padding. */
  static NDArray attentionBias(NDManager m, long[][] mask, int batch, int t, int past, Integer window) {
    int s = past + t;
    int rows = mask == null ? 1 : batch;
    float[] bias = new float[rows * t * s];
    for (int b = 0; b < rows; b++) {
      for (int i = 0; i < t; i++) {
        int q = past + i;
        int base = (b * t + i) * s;
        for (int j = 0; j < s; j++) {
          boolean allowed = j <= q && (window == null || j > q - window) && (mask == null || mask[b][j] != 0);
          if (!allowed) {
            bias[base + j] = MASKED;
          }
        }
      }
    }
    return m.create(bias, new Shape(rows, 1, t, s));
  }
}
