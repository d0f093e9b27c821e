package dev.zephyr.core.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.core.Embedding;
import dev.zephyr.core.model.safetensors.Dtype;
import dev.zephyr.core.model.safetensors.StoredTensor;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Frozen weights kept as the checkpoint stored them, 2 bytes per element (BF16 or F16), and widened to float32 only
 * while one forward step needs them. DJL 0.35.1 and 0.36.0 abort the JVM on any BF16 array, so bfloat16 bits are held
 * in FLOAT16-typed arrays and never computed on: {@link #widen} makes the exact float32 copy a layer computes with,
 * and {@link #embeddingRows} widens only the looked-up rows of an embedding. The arrays belong to the model's manager.
 */
public final class HalfPrecisionWeights {
  private final Map<String, StoredTensor> tensors;

  /** Takes the raw 16-bit tensors (each {@link StoredTensor#isRaw16()}) by Hugging Face name. */
  public HalfPrecisionWeights(Map<String, StoredTensor> tensors) {
    for (Map.Entry<String, StoredTensor> e : tensors.entrySet()) {
      if (!e.getValue().isRaw16()) {
        throw new IllegalArgumentException("tensor '" + e.getKey() + "' is " + e.getValue().storedAs()
            + ", not a 16-bit float to keep");
      }
    }
    this.tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
  }

  /**
   * The weights a model that does not train keeps at 2 bytes: the projection matrices, the embedding and an untied
   * head. Norm weights and biases (a few thousand scalars a layer) are widened on load.
   */
  public static boolean isMatrix(String name) {
    return name.endsWith("_proj.weight") || name.equals("model.embed_tokens.weight") || name.equals("lm_head.weight");
  }

  public boolean contains(String name) {
    return tensors.containsKey(name);
  }

  public Set<String> names() {
    return tensors.keySet();
  }

  public Shape shape(String name) {
    return stored(name).array().getShape();
  }

  /** The dtype the checkpoint stored {@code name} as (BF16 or F16). */
  public Dtype storedAs(String name) {
    return stored(name).storedAs();
  }

  /** The exact float32 values of {@code name}, in a new array attached to {@code into} (the caller closes it). */
  public NDArray widen(String name, NDManager into) {
    StoredTensor t = stored(name);
    return StoredTensor.widen(t.storedAs(), t.array(), into);
  }

  /** The manager the kept arrays belong to (the model's). */
  NDManager manager() {
    return tensors.values().iterator().next().array().getManager();
  }

  /** Rows {@code ids} ({@code [B, T]} int64) of embedding {@code name} as float32 {@code [B, T, H]}, in {@code into}. */
  public NDArray embeddingRows(String name, NDArray ids, NDManager into) {
    StoredTensor t = stored(name);
    // An embedding lookup only copies rows, so it moves the raw 16-bit patterns unchanged; widen just those.
    try (NDArray rows = Embedding.embedding(ids.toType(DataType.INT64, false), t.array(), SparseFormat.DENSE)
        .singletonOrThrow()) {
      return StoredTensor.widen(t.storedAs(), rows, into);
    }
  }

  /** Native bytes the kept tensors occupy (2 per element). */
  public long nativeBytes() {
    return tensors.values().stream().mapToLong(t -> t.array().size() * 2).sum();
  }

  /** Number of scalar weights kept. */
  public long elementCount() {
    return tensors.values().stream().mapToLong(t -> t.array().size()).sum();
  }

  private StoredTensor stored(String name) {
    StoredTensor t = tensors.get(name);
    if (t == null) {
      throw new IllegalArgumentException("no 16-bit weight '" + name + "' is kept");
    }
    return t;
  }
}
