package dev.zephyr.core.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.util.Arrays;

/**
 * Keys and values of the tokens seen so far, one pair of buffers per layer shaped {@code [B, kvHeads, capacity,
 * headDim]} (after rotary embedding). {@link LlamaModel#forward} writes the new tokens' keys and values in place at
 * positions {@code [length, length + T)} and attends over a view of the filled prefix, so a decode step copies one
 * position per layer, not the whole history. A cache made with a capacity (prompt + new tokens) allocates its buffers
 * once, at the first forward; one made without, or asked for more, grows by doubling.
 *
 * <p>The cache also keeps the padding mask of its positions on the host and, for single-token decode steps, as an
 * additive bias on the device built once per padding pattern (not per step). It owns its arrays in its own manager;
 * {@link #close()} frees them.
 */
public final class KvCache implements AutoCloseable {
  /** First buffer size of a cache made without a capacity. */
  private static final int DEFAULT_CAPACITY = 64;

  private final NDManager manager;
  private final NDArray[] keys;
  private final NDArray[] values;
  private final int requestedCapacity;
  private int length;
  private int allocations;
  /** The attention mask over cached positions (1 real, 0 padding), rows as wide as needed; null before any forward. */
  private long[][] mask;
  /** Real (unpadded) tokens per row: the next token's position id. */
  private long[] realTokens;
  private boolean anyPadding;
  /** {@code [B, 1, 1, width]} with {@link AttentionMasks#MASKED} at padding; rebuilt only when the mask changed. */
  private NDArray paddingBias;
  private boolean paddingBiasStale = true;

  /** A cache that grows as needed. */
  public KvCache(int layers, NDManager parent) {
    this(layers, 0, parent);
  }

  /**
   * A cache whose buffers hold {@code capacity} positions (prompt plus new tokens): allocated once, never copied while
   * the sequences fit. 0 means grow as needed.
   */
  public KvCache(int layers, int capacity, NDManager parent) {
    if (capacity < 0) {
      throw new IllegalArgumentException("capacity must be >= 0, got " + capacity);
    }
    this.manager = parent.newSubManager();
    this.keys = new NDArray[layers];
    this.values = new NDArray[layers];
    this.requestedCapacity = capacity;
  }

  /** Tokens cached so far (including left padding). */
  public int length() {
    return length;
  }

  /** Positions the buffers hold now (0 before the first forward). */
  public int capacity() {
    return keys.length == 0 || keys[0] == null ? 0 : (int) keys[0].getShape().get(2);
  }

  /**
   * Key and value buffers allocated so far over all layers: {@code 2 * layers} after the first forward, and more only
   * when the cache grew or dropped rows. A decode loop that stays at that count copies nothing per token.
   */
  public int allocations() {
    return allocations;
  }

  /**
   * Writes a layer's new keys and values ({@code [B, kvHeads, T, headDim]}) at positions {@code [length, length + T)}
   * and returns views of positions {@code [from, length + T)} for attention. The views belong to {@code k}'s manager
   * (and the enclosing scope); the buffers stay with the cache.
   */
  NDArray[] append(int layer, NDArray k, NDArray v, int from) {
    int end = length + (int) k.getShape().get(2);
    ensureCapacity(layer, k, end);
    write(keys[layer], length, end, k);
    write(values[layer], length, end, v);
    NDManager into = k.getManager();
    return new NDArray[] {view(keys[layer], 2, from, end, into), view(values[layer], 2, from, end, into)};
  }

  /** {@code buffer[:, :, from:to] = value} in place: on libtorch one native call (DJL's NDIndex path makes several). */
  private static void write(NDArray buffer, int from, int to, NDArray value) {
    if (buffer instanceof PtNDArray b && value instanceof PtNDArray v) {
      long[] min = new long[4];
      long[] max = buffer.getShape().getShape().clone(); // getShape() hands out the shape's own array
      long[] step = {1, 1, 1, 1};
      min[2] = from;
      max[2] = to;
      JniUtils.indexSet(b, v, min, max, step);
    } else {
      buffer.set(new NDIndex().addAllDim(2).addSliceDim(from, to), value);
    }
  }

  /** A view of {@code buffer} from {@code from} to {@code to} along {@code axis}, owned by {@code into}. */
  private static NDArray view(NDArray buffer, int axis, int from, int to, NDManager into) {
    if (buffer instanceof PtNDArray b) {
      NDArray slice = JniUtils.slice(b, axis, from, to, 1);
      slice.attach(into);
      return slice;
    }
    return buffer.get(into, new NDIndex().addAllDim(axis).addSliceDim(from, to));
  }

  private void ensureCapacity(int layer, NDArray k, int needed) {
    NDArray oldK = keys[layer];
    long have = oldK == null ? 0 : oldK.getShape().get(2);
    if (needed <= have) {
      return;
    }
    long size = oldK == null ? Math.max(needed, requestedCapacity > 0 ? requestedCapacity : DEFAULT_CAPACITY)
        : Math.max(needed, 2 * have);
    Shape s = k.getShape();
    Shape shape = new Shape(s.get(0), s.get(1), size, s.get(3));
    keys[layer] = grown(oldK, shape, k);
    values[layer] = grown(values[layer], shape, k);
  }

  private NDArray grown(NDArray old, Shape shape, NDArray like) {
    NDArray fresh = owned(manager.zeros(shape, like.getDataType(), like.getDevice()));
    allocations++;
    if (old != null) {
      NDIndex filled = new NDIndex().addAllDim(2).addSliceDim(0, length);
      try (NDManager tmp = manager.newSubManager()) {
        fresh.set(filled, old.get(tmp, filled));
      }
      old.close();
    }
    return fresh;
  }

  /** The attention mask over the cached positions (rows may be wider than {@link #length()}), or null before use. */
  long[][] mask() {
    return mask;
  }

  /**
   * After a forward of {@code t} tokens with the full mask {@code full} ({@code [B, length + t]}, null for no
   * padding): records both.
   */
  void advance(long[][] full, int batch, int t) {
    if (full == null) {
      full = new long[batch][length + t];
      for (long[] row : full) {
        Arrays.fill(row, 1);
      }
    }
    mask = new long[batch][];
    realTokens = new long[batch];
    anyPadding = false;
    for (int b = 0; b < batch; b++) {
      mask[b] = Arrays.copyOf(full[b], Math.max(full[b].length, capacity()));
      for (int j = 0; j < length + t; j++) {
        realTokens[b] += mask[b][j];
        anyPadding |= mask[b][j] == 0;
      }
    }
    paddingBiasStale = true;
    length += t;
  }

  /** Position ids {@code [B]} of one new real token per row. */
  long[] nextPositions() {
    return realTokens.clone();
  }

  /**
   * The padding bias for one new token per row over key positions {@code [from, to)}, {@code [B, 1, 1, to - from]} in
   * {@code into}; null when no row has padding (nothing to add).
   */
  NDArray paddingBias(NDManager into, int from, int to) {
    if (!anyPadding) {
      return null;
    }
    int width = Math.max(to, capacity());
    if (paddingBiasStale || paddingBias.getShape().get(3) < to) {
      if (paddingBias != null) {
        paddingBias.close();
      }
      float[] bias = new float[mask.length * width];
      for (int b = 0; b < mask.length; b++) {
        for (int j = 0; j < Math.min(length, width); j++) {
          if (mask[b][j] == 0) {
            bias[b * width + j] = AttentionMasks.MASKED;
          }
        }
      }
      paddingBias = owned(manager.create(bias, new Shape(mask.length, 1, 1, width)));
      paddingBiasStale = false;
    }
    return view(paddingBias, 3, from, to, into);
  }

  /** After a decode step of one real token per row. */
  void advanceOneReal() {
    for (int b = 0; b < mask.length; b++) {
      if (mask[b].length <= length) {
        mask[b] = Arrays.copyOf(mask[b], Math.max(length + 1, 2 * mask[b].length));
      }
      mask[b][length] = 1;
      realTokens[b]++;
    }
    length++;
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
      NDIndex pick = new NDIndex("{}", tmp.create(idx));
      for (int l = 0; l < keys.length; l++) {
        if (keys[l] == null) {
          continue;
        }
        keys[l] = kept(keys[l], pick);
        values[l] = kept(values[l], pick);
      }
    }
    if (mask != null) {
      long[][] keptMask = new long[rows.length][];
      long[] keptReal = new long[rows.length];
      anyPadding = false;
      for (int i = 0; i < rows.length; i++) {
        keptMask[i] = mask[rows[i]];
        keptReal[i] = realTokens[rows[i]];
        for (int j = 0; j < length; j++) {
          anyPadding |= keptMask[i][j] == 0;
        }
      }
      mask = keptMask;
      realTokens = keptReal;
      paddingBiasStale = true;
    }
  }

  private NDArray kept(NDArray buffer, NDIndex pick) {
    NDArray rows = owned(buffer.get(manager, pick));
    allocations++;
    buffer.close();
    return rows;
  }

  /** A new buffer of the cache: it outlives the caller's scope, so the scope must not close it. */
  private NDArray owned(NDArray array) {
    NDScope.unregister(array);
    return array;
  }

  @Override
  public void close() {
    manager.close();
  }
}
