package dev.zephyr.core.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.core.Embedding;
import dev.zephyr.core.CheckpointException;
import java.util.Map;

/**
 * Where the decoder finds each Hugging Face-named weight: an adapter's trained copy (PEFT's {@code modules_to_save}),
 * else a float32 parameter, else a frozen weight kept at 2 bytes ({@link HalfPrecisionWeights}) and widened into the
 * caller's manager for the length of one use. Keeps the 16-bit and adapter plumbing out of {@link LlamaModel}'s math.
 */
final class WeightLookup {
  static final String EMBEDDING = "model.embed_tokens.weight";
  static final String LM_HEAD = "lm_head.weight";

  private final Map<String, NDArray> parameters;
  private final HalfPrecisionWeights half;
  private final LinearAdapter adapter;

  WeightLookup(Map<String, NDArray> parameters, HalfPrecisionWeights half, LinearAdapter adapter) {
    this.parameters = parameters;
    this.half = half;
    this.adapter = adapter;
  }

  /** The same weights seen through {@code other} (null for none). */
  WeightLookup withAdapter(LinearAdapter other) {
    return new WeightLookup(parameters, half, other);
  }

  LinearAdapter adapter() {
    return adapter;
  }

  HalfPrecisionWeights half() {
    return half;
  }

  Map<String, NDArray> parameters() {
    return parameters;
  }

  /** True when the base has {@code name} (float32 or kept); optional biases are absent from both. */
  boolean has(String name) {
    return parameters.containsKey(name) || (half != null && half.contains(name));
  }

  /** The weight a forward uses for {@code name}: the adapter's copy if it replaces it, else {@link #base}. */
  NDArray get(String name, NDManager into) {
    NDArray replaced = adapter == null ? null : adapter.replacement(name);
    return replaced != null ? replaced : base(name, into);
  }

  /**
   * The base model's float32 values of {@code name}: the live parameter, or for a kept 16-bit weight a widened copy
   * attached to {@code into} (which the caller, or the scope it runs in, closes).
   */
  NDArray base(String name, NDManager into) {
    NDArray a = parameters.get(name);
    if (a == null && half != null && half.contains(name)) {
      a = half.widen(name, into);
    }
    if (a == null) {
      throw new CheckpointException("missing parameter '" + name + "'");
    }
    return a;
  }

  /** The LM head {@code [V, H]}: {@code lm_head.weight}, an adapter's trained head, or the embedding when tied. */
  NDArray head(NDManager into) {
    NDArray replaced = adapter == null ? null : adapter.replacement(LM_HEAD);
    if (replaced != null) {
      return replaced;
    }
    // a tied head is the base embedding even when embed_tokens has a trained copy, as in PEFT
    return base(has(LM_HEAD) ? LM_HEAD : EMBEDDING, into);
  }

  /** Whether {@link #head} widens a kept 16-bit weight (a copy, which never trains) rather than return a live array. */
  boolean headIsWidened() {
    if (adapter != null && adapter.replacement(LM_HEAD) != null) {
      return false;
    }
    String name = has(LM_HEAD) ? LM_HEAD : EMBEDDING;
    return !parameters.containsKey(name) && half != null && half.contains(name);
  }

  /** Embeddings {@code [B, T, H]} of {@code inputIds}; a kept 16-bit table widens only the rows looked up. */
  NDArray embed(NDArray inputIds) {
    NDManager m = inputIds.getManager();
    if (half != null && half.contains(EMBEDDING) && (adapter == null || adapter.replacement(EMBEDDING) == null)) {
      return half.embeddingRows(EMBEDDING, inputIds, m);
    }
    return Embedding.embedding(inputIds.toType(DataType.INT64, false), get(EMBEDDING, m), SparseFormat.DENSE)
        .singletonOrThrow();
  }

  /** The adapter's term for {@code projection} at input {@code x}, or null when it adapts nothing there. */
  NDArray delta(String projection, NDArray x) {
    return adapter == null ? null : adapter.delta(projection, x);
  }
}
