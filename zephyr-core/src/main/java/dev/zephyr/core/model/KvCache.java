package dev.zephyr.core.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;

/**
 * Keys and values of the tokens seen so far, one pair per layer, shaped {@code [B, kvHeads, S, headDim]} after rotary
 * embedding. {@link LlamaModel#forward} appends the new tokens' keys and values and advances {@link #length()}. The
 * cache owns its arrays in its own manager; {@link #close()} frees them.
 */
public final class KvCache implements AutoCloseable {
  private final NDManager manager;
  private final NDArray[] keys;
  private final NDArray[] values;
  private int length;
  private long[][] mask;

  public KvCache(int layers, NDManager parent) {
    this.manager = parent.newSubManager();
    this.keys = new NDArray[layers];
    this.values = new NDArray[layers];
  }

  /** Tokens cached so far (including left padding). */
  public int length() {
    return length;
  }

  /**
   * Appends a layer's new keys and values ({@code [B, kvHeads, T, headDim]}) and returns the full ones. The returned
   * arrays belong to the cache; callers must not close them.
   */
  NDArray[] append(int layer, NDArray k, NDArray v) {
    NDArray fullK = keys[layer] == null ? k.duplicate() : keys[layer].concat(k, 2);
    NDArray fullV = values[layer] == null ? v.duplicate() : values[layer].concat(v, 2);
    // The new arrays outlive the caller's scope: hand them to the cache's manager.
    NDScope.unregister(fullK, fullV);
    fullK.attach(manager);
    fullV.attach(manager);
    if (keys[layer] != null) {
      keys[layer].close();
      values[layer].close();
    }
    keys[layer] = fullK;
    values[layer] = fullV;
    return new NDArray[] {fullK, fullV};
  }

  /** The attention mask over the cached positions (1 real, 0 padding), or null before the first forward. */
  long[][] mask() {
    return mask;
  }

  void recordMask(long[][] full) {
    this.mask = full;
  }

  /**
   * Keeps only the given batch rows (in that order), dropping the others: generation removes finished sequences so
   * later steps compute only the live ones.
   */
  public void keepRows(int[] rows) {
    long[] idx = new long[rows.length];
    for (int i = 0; i < rows.length; i++) {
      idx[i] = rows[i];
    }
    try (NDManager tmp = manager.newSubManager()) {
      NDArray index = tmp.create(idx);
      for (int l = 0; l < keys.length; l++) {
        if (keys[l] == null) {
          continue;
        }
        NDArray k = keys[l].get(new ai.djl.ndarray.index.NDIndex("{}", index));
        NDArray v = values[l].get(new ai.djl.ndarray.index.NDIndex("{}", index));
        NDScope.unregister(k, v);
        k.attach(manager);
        v.attach(manager);
        keys[l].close();
        values[l].close();
        keys[l] = k;
        values[l] = v;
      }
    }
    if (mask != null) {
      long[][] kept = new long[rows.length][];
      for (int i = 0; i < rows.length; i++) {
        kept[i] = mask[rows[i]];
      }
      mask = kept;
    }
  }

  /** Called by the model once all layers have appended {@code tokens} new positions. */
  void advance(int tokens) {
    length += tokens;
  }

  @Override
  public void close() {
    manager.close();
  }
}
