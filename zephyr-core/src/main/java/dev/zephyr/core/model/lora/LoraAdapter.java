package dev.zephyr.core.model.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import dev.zephyr.core.CheckpointException;
import dev.zephyr.core.model.LinearAdapter;
import dev.zephyr.core.model.LlamaModel;
import dev.zephyr.core.model.ModelConfig;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * LoRA adapters on a Llama-family decoder, as PEFT defines them: for each targeted projection {@code W [out, in]} a
 * pair {@code A [r, in]}, {@code B [out, r]} and the output {@code x·Wᵀ + b + scaling·(dropout(x)·Aᵀ)·Bᵀ}; plus trained
 * full copies of the {@code modules_to_save}. Apply with {@link LlamaModel#withAdapter}; the base stays frozen and
 * unchanged, so the base model itself is the adapter-free reference.
 *
 * <p>{@link #parameters()} are the only trainable arrays, named as in {@code adapter_model.safetensors} without PEFT's
 * {@code base_model.model.} prefix ({@code model.layers.0.self_attn.q_proj.lora_A.weight}, {@code lm_head.weight}).
 * Dropout is active only between {@link #train(long)} and {@link #eval()}; its masks depend on the seed given to
 * {@code train}, the projection and the input shape, so a recomputed layer (activation checkpointing) and a resumed
 * run draw the same masks.
 */
public final class LoraAdapter implements LinearAdapter, AutoCloseable {
  /** Suffixes of the two factors of a projection's adapter, as PEFT names them. */
  public static final String A = ".lora_A.weight";
  public static final String B = ".lora_B.weight";

  private final LoraConfig config;
  private final float scale;
  private final Map<String, NDArray> parameters;
  private final NDManager manager;
  private volatile Long dropoutSeed;

  private LoraAdapter(LoraConfig config, Map<String, NDArray> parameters, NDManager manager) {
    this.config = config;
    this.scale = (float) config.scaling();
    this.parameters = parameters;
    this.manager = manager;
  }

  /**
   * New adapters for {@code base}: A drawn as PEFT's {@code kaiming_uniform_(a=sqrt(5))} draws it, that is
   * U(-1/sqrt(in), 1/sqrt(in)), B zeros (so the adapted model starts equal to the base), and copies of the
   * modules to save. The bytes depend only on the shapes, the config and the seed. Owns a sub-manager of
   * {@code parent}.
   */
  public static LoraAdapter create(LlamaModel base, LoraConfig config, long seed, NDManager parent) {
    NDManager m = parent.newSubManager();
    Map<String, NDArray> params = new LinkedHashMap<>();
    for (Map.Entry<String, Shape> e : LoraLayout.expectedShapes(base.config(), config).entrySet()) {
      String name = e.getKey();
      Shape shape = e.getValue();
      NDArray a;
      if (name.endsWith(A)) {
        float bound = (float) (1 / Math.sqrt(shape.get(1)));
        float[] data = new float[Math.toIntExact(shape.size())];
        SplittableRandom rng = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + name.hashCode());
        for (int i = 0; i < data.length; i++) {
          data[i] = (float) ((rng.nextDouble() * 2 - 1) * bound);
        }
        a = m.create(data, shape);
      } else if (name.endsWith(B)) {
        a = m.zeros(shape, DataType.FLOAT32);
      } else {
        a = baseParameter(base, name, m);
      }
      a.setName(name);
      params.put(name, a);
    }
    return new LoraAdapter(config, params, m);
  }

  /**
   * Adapters from loaded tensors ({@code tensors} named without the {@code base_model.model.} prefix), checked
   * against {@code base}: every expected tensor present with its shape, nothing else. {@code manager} owns the arrays
   * and is closed by {@link #close()}.
   *
   * @param source the file, for error messages
   * @throws CheckpointException naming the tensor that is missing, unexpected or of the wrong shape
   */
  public static LoraAdapter of(LoraConfig config, ModelConfig base, Map<String, NDArray> tensors, NDManager manager,
      String source) {
    Map<String, Shape> expected = LoraLayout.expectedShapes(base, config);
    for (String name : tensors.keySet()) {
      if (!expected.containsKey(name)) {
        throw new CheckpointException(source + ": tensor '" + LoraLayout.PEFT_PREFIX + name + "' does not belong to"
            + " a LoRA adapter of this " + base.modelType() + " model with target_modules " + config.targetModules()
            + " and modules_to_save " + config.modulesToSave() + " (another architecture, or other target modules?)");
      }
    }
    Map<String, NDArray> params = new LinkedHashMap<>();
    for (Map.Entry<String, Shape> e : expected.entrySet()) {
      NDArray a = tensors.get(e.getKey());
      String peftName = LoraLayout.PEFT_PREFIX + e.getKey();
      if (a == null) {
        throw new CheckpointException(source + ": missing tensor '" + peftName + "' (target_modules "
            + config.targetModules() + " on " + base.numHiddenLayers() + " layers imply shape " + e.getValue() + ")");
      }
      if (!a.getShape().equals(e.getValue())) {
        throw new CheckpointException(source + ": tensor '" + peftName + "' has shape " + a.getShape() + ", but r = "
            + config.r() + " and the base model imply " + e.getValue());
      }
      if (a.getDataType() != DataType.FLOAT32) {
        a = a.toType(DataType.FLOAT32, false);
        a.attach(manager);
      }
      a.setName(e.getKey());
      params.put(e.getKey(), a);
    }
    return new LoraAdapter(config, params, manager);
  }

  public LoraConfig config() {
    return config;
  }

  /** The trainable arrays (adapter factors, then module copies), updated in place by a trainer. */
  public Map<String, NDArray> parameters() {
    return Collections.unmodifiableMap(parameters);
  }

  /** Number of trainable scalars. */
  public long parameterCount() {
    return parameters.values().stream().mapToLong(a -> a.getShape().size()).sum();
  }

  /** Turns dropout on, with masks drawn from {@code seed} (one seed per micro-batch makes a run reproducible). */
  public void train(long seed) {
    this.dropoutSeed = seed;
  }

  /** Turns dropout off (the default). */
  public void eval() {
    this.dropoutSeed = null;
  }

  @Override
  public NDArray delta(String projection, NDArray x) {
    NDArray a = parameters.get(projection + A);
    if (a == null) {
      return null;
    }
    NDArray in = dropout(projection, x);
    NDArray down = Linear.linear(in, a).singletonOrThrow();
    NDArray up = Linear.linear(down, parameters.get(projection + B)).singletonOrThrow();
    try (NDArray borrowed = x.getManager().create(scale); NDArray owned = borrowed.duplicate()) {
      return up.mul(owned);
    }
  }

  @Override
  public NDArray replacement(String name) {
    return parameters.get(name);
  }

  /**
   * Inverted dropout on the adapter's input: kept values scaled by 1/(1-p), as torch.nn.Dropout does.
   *
   * <p>Operands of {@code mul} here and in {@link #delta} are copied into libtorch-owned tensors: DJL's
   * {@code create} borrows a Java buffer that a garbage collection may free before backward reads it.
   */
  private NDArray dropout(String projection, NDArray x) {
    Long seed = dropoutSeed;
    double p = config.loraDropout();
    if (seed == null || p == 0) {
      return x;
    }
    Shape shape = x.getShape();
    SplittableRandom rng = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + projection.hashCode() * 31L
        + shape.hashCode());
    float keep = (float) (1 / (1 - p));
    float[] mask = new float[Math.toIntExact(shape.size())];
    for (int i = 0; i < mask.length; i++) {
      mask[i] = rng.nextDouble() < p ? 0f : keep;
    }
    try (NDArray borrowed = x.getManager().create(mask, shape); NDArray owned = borrowed.duplicate()) {
      return x.mul(owned);
    }
  }

  /**
   * The merged weights {@code W + scaling·B·A} of every adapted projection and the trained copies of the modules to
   * save, as new arrays owned by {@code m}, by Hugging Face name. With a tied base and a module to save, both
   * {@code model.embed_tokens.weight} and {@code lm_head.weight} are present: the merged model is untied.
   */
  public Map<String, NDArray> mergedWeights(LlamaModel base, NDManager m) {
    Map<String, NDArray> out = new LinkedHashMap<>();
    for (String projection : LoraLayout.projections(base.config(), config)) {
      NDArray w = base.parameters().get(projection + ".weight");
      NDArray delta = parameters.get(projection + B).matMul(parameters.get(projection + A)).mul(scale);
      NDArray merged = w.add(delta);
      delta.close();
      merged.attach(m);
      out.put(projection + ".weight", merged);
    }
    for (String module : config.modulesToSave()) {
      String name = LoraLayout.moduleParameter(module);
      NDArray copy = parameters.get(name).duplicate();
      copy.attach(m);
      out.put(name, copy);
    }
    if (base.config().tieWordEmbeddings() && !config.modulesToSave().isEmpty() && !out.containsKey("lm_head.weight")) {
      // the head keeps the base embedding when only embed_tokens was trained
      NDArray head = base.parameters().get("model.embed_tokens.weight").duplicate();
      head.attach(m);
      out.put("lm_head.weight", head);
    }
    return out;
  }

  /** A copy of base parameter {@code name} owned by {@code m} (lm_head of a tied model: the embedding). */
  private static NDArray baseParameter(LlamaModel base, String name, NDManager m) {
    NDArray a = name.equals("lm_head.weight") ? base.headWeight(m) : base.baseWeight(name, m);
    if (a.getManager() == m) {
      return a; // already a widened copy of a 16-bit weight
    }
    NDArray copy = a.duplicate();
    copy.attach(m);
    return copy;
  }

  /** Frees the adapter's arrays. */
  @Override
  public void close() {
    manager.close();
  }
}
