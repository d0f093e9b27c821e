package dev.zephyr.core.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Embedding;
import ai.djl.nn.core.Linear;
import dev.zephyr.core.CheckpointException;
import dev.zephyr.core.io.Json;
import dev.zephyr.core.model.safetensors.Dtype;
import dev.zephyr.core.model.safetensors.Safetensors;
import dev.zephyr.core.model.safetensors.StoredTensor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The Llama-family decoder (llama, mistral, qwen2) as plain NDArray functions over a map of Hugging Face-named
 * parameters ({@code model.layers.0.self_attn.q_proj.weight}, ...). There is no DJL Block: a trainer marks the
 * parameters as requiring gradients and runs {@link #forward} inside a GradientCollector.
 *
 * <p>Semantics follow transformers: embedding, RMSNorm in float32, rotate-half RoPE (rope_theta, linear and llama3
 * rope_scaling), grouped-query attention, SwiGLU MLP with SiLU = x·sigmoid(x), optional q/k/v(/o) biases (present in
 * the map means used), Mistral sliding window (query i sees keys j with i - window &lt; j &lt;= i), tied or untied LM
 * head, padding through an attention mask with position ids from its cumulative sum, and a {@link KvCache}.
 *
 * <p>Every intermediate array lives in an {@link NDScope} inside the call; only the result escapes (and is registered
 * with the caller's scope, if any).
 */
public final class LlamaModel implements AutoCloseable {
  /** Additive mask value: finite so that fully masked (padding) query rows give a uniform softmax, not NaN. */
  static final float MASKED = -1e30f;

  private final ModelConfig config;
  private final Map<String, NDArray> parameters;
  /** Frozen weights kept at 2 bytes (null when every weight is a float32 parameter). */
  private final HalfPrecisionWeights halfWeights;
  private final NDManager manager;
  private final float[] invFreq;
  private final LayerNames[] layers;

  /** Parameter names of one decoder layer, built once. */
  private record LayerNames(String q, String k, String v, String o, String gate, String up, String down,
      String inputNorm, String postNorm) {
    static LayerNames of(int i) {
      String p = "model.layers." + i + ".";
      return new LayerNames(p + "self_attn.q_proj", p + "self_attn.k_proj", p + "self_attn.v_proj",
          p + "self_attn.o_proj", p + "mlp.gate_proj", p + "mlp.up_proj", p + "mlp.down_proj",
          p + "input_layernorm.weight", p + "post_attention_layernorm.weight");
    }
  }

  /**
   * Wraps existing parameters (checked against the config). The model owns {@code manager} when it is not null and
   * closes it in {@link #close()}.
   */
  public LlamaModel(ModelConfig config, Map<String, NDArray> parameters, NDManager manager) {
    this(config, parameters, null, manager);
  }

  /**
   * Wraps float32 {@code parameters} plus frozen {@code halfWeights} kept at 2 bytes (may be null); together they
   * must hold every weight the config implies, each name in one of them.
   */
  public LlamaModel(ModelConfig config, Map<String, NDArray> parameters, HalfPrecisionWeights halfWeights,
      NDManager manager) {
    this.config = config;
    this.parameters = parameters;
    this.halfWeights = halfWeights;
    this.manager = manager;
    this.invFreq = inverseFrequencies(config);
    this.layers = new LayerNames[config.numHiddenLayers()];
    for (int i = 0; i < layers.length; i++) {
      layers[i] = LayerNames.of(i);
    }
    validate();
  }

  /** Rotary inverse frequencies {@code 1 / theta^(2i/d)}, rescaled when the config asks for it. */
  static float[] inverseFrequencies(ModelConfig c) {
    int half = c.headDim() / 2;
    double[] inv = new double[half];
    for (int i = 0; i < half; i++) {
      // float32 exponent as transformers computes it (arange(0, d, 2).float() / d)
      float exponent = (float) (2 * i) / c.headDim();
      inv[i] = 1.0 / Math.pow(c.ropeTheta(), exponent);
    }
    if (c.ropeScaling() != null) {
      c.ropeScaling().apply(inv);
    }
    float[] out = new float[half];
    for (int i = 0; i < half; i++) {
      out[i] = (float) inv[i];
    }
    return out;
  }

  /** Expected shape of every parameter, in Hugging Face naming and order. */
  public static Map<String, Shape> parameterShapes(ModelConfig c) {
    Map<String, Shape> s = new LinkedHashMap<>();
    int h = c.hiddenSize();
    int q = c.numAttentionHeads() * c.headDim();
    int kv = c.numKeyValueHeads() * c.headDim();
    s.put("model.embed_tokens.weight", new Shape(c.vocabSize(), h));
    for (int i = 0; i < c.numHiddenLayers(); i++) {
      LayerNames n = LayerNames.of(i);
      s.put(n.q + ".weight", new Shape(q, h));
      s.put(n.k + ".weight", new Shape(kv, h));
      s.put(n.v + ".weight", new Shape(kv, h));
      s.put(n.o + ".weight", new Shape(h, q));
      if (c.attentionBias()) {
        s.put(n.q + ".bias", new Shape(q));
        s.put(n.k + ".bias", new Shape(kv));
        s.put(n.v + ".bias", new Shape(kv));
        if (c.modelType() == ModelType.LLAMA) {
          s.put(n.o + ".bias", new Shape(h));
        }
      }
      s.put(n.gate + ".weight", new Shape(c.intermediateSize(), h));
      s.put(n.up + ".weight", new Shape(c.intermediateSize(), h));
      s.put(n.down + ".weight", new Shape(h, c.intermediateSize()));
      s.put(n.inputNorm, new Shape(h));
      s.put(n.postNorm, new Shape(h));
    }
    s.put("model.norm.weight", new Shape(h));
    if (!c.tieWordEmbeddings()) {
      s.put("lm_head.weight", new Shape(c.vocabSize(), h));
    }
    return s;
  }

  private void validate() {
    for (Map.Entry<String, Shape> e : parameterShapes(config).entrySet()) {
      String name = e.getKey();
      NDArray a = parameters.get(name);
      if (a == null && halfWeights != null && halfWeights.contains(name)) {
        if (!halfWeights.shape(name).equals(e.getValue())) {
          throw new CheckpointException("parameter '" + name + "' has shape " + halfWeights.shape(name)
              + ", config.json implies " + e.getValue());
        }
        continue;
      }
      if (a == null) {
        if (name.endsWith(".bias")) {
          continue; // biases are optional: present means used
        }
        throw new CheckpointException("missing parameter '" + name + "' (expected shape " + e.getValue() + ")");
      }
      if (!a.getShape().equals(e.getValue())) {
        throw new CheckpointException("parameter '" + name + "' has shape " + a.getShape() + ", config.json implies "
            + e.getValue());
      }
      if (a.getDataType() != DataType.FLOAT32) {
        throw new CheckpointException("parameter '" + name + "' is " + a.getDataType() + ", expected float32");
      }
    }
  }

  /**
   * A randomly initialised model as transformers initialises one: weights ~ N(0, 0.02²), norms 1, biases 0. The bytes
   * depend only on the config and the seed.
   */
  public static LlamaModel random(ModelConfig config, long seed, NDManager parent) {
    return random(config, seed, 0.02, parent);
  }

  /** Like {@link #random(ModelConfig, long, NDManager)} with a chosen standard deviation. */
  public static LlamaModel random(ModelConfig config, long seed, double std, NDManager parent) {
    NDManager m = parent.newSubManager();
    Map<String, NDArray> params = new LinkedHashMap<>();
    for (Map.Entry<String, Shape> e : parameterShapes(config).entrySet()) {
      String name = e.getKey();
      Shape shape = e.getValue();
      float[] data = new float[Math.toIntExact(shape.size())];
      if (name.endsWith("norm.weight")) {
        java.util.Arrays.fill(data, 1f);
      } else if (!name.endsWith(".bias")) {
        // one stream per tensor, so adding a tensor does not change the others
        SplittableRandom rng = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + name.hashCode());
        for (int i = 0; i < data.length; i++) {
          data[i] = (float) (gaussian(rng) * std);
        }
      }
      NDArray a = m.create(data, shape);
      a.setName(name);
      params.put(name, a);
    }
    return new LlamaModel(config, params, m);
  }

  /**
   * Loads a Hugging Face model directory ({@code config.json} plus {@code model.safetensors} or shards); BF16/F16
   * weights are widened to float32. The tensors' shapes are checked against the config before any is read, and NaN
   * or infinite weights are refused with the tensor's name (see {@link CheckpointChecks}). The model owns a
   * sub-manager of {@code parent}.
   */
  public static LlamaModel load(Path dir, NDManager parent) {
    ModelConfig config = ModelConfig.load(dir);
    CheckpointChecks.headersMatch(config, dir);
    NDManager m = parent.newSubManager();
    try {
      Map<String, NDArray> weights = Safetensors.load(dir, m);
      CheckpointChecks.finite(weights, dir);
      return new LlamaModel(config, weights, m);
    } catch (RuntimeException e) {
      m.close();
      throw e;
    }
  }

  /**
   * Loads like {@link #load(Path, NDManager)}, but BF16/F16 tensors whose names {@code keep16Bit} accepts stay at
   * 2 bytes per element ({@link HalfPrecisionWeights}) and are widened one layer at a time during a forward. Use it
   * for frozen weights (generation, evaluation, a DPO reference, a LoRA base); trainable parameters must be float32,
   * so leave their names out. F32 tensors load as float32 whatever {@code keep16Bit} says.
   */
  public static LlamaModel load(Path dir, NDManager parent, java.util.function.Predicate<String> keep16Bit) {
    ModelConfig config = ModelConfig.load(dir);
    CheckpointChecks.headersMatch(config, dir);
    NDManager m = parent.newSubManager();
    try {
      Map<String, NDArray> weights = new LinkedHashMap<>();
      Map<String, StoredTensor> kept = new LinkedHashMap<>();
      for (Map.Entry<String, StoredTensor> e : Safetensors.loadKeeping16Bit(dir, m, name -> true).entrySet()) {
        StoredTensor t = e.getValue();
        if (t.isRaw16() && keep16Bit.test(e.getKey())) {
          kept.put(e.getKey(), t);
        } else if (t.isRaw16()) {
          weights.put(e.getKey(), StoredTensor.widen(t.storedAs(), t.array(), m));
          t.array().close();
        } else {
          weights.put(e.getKey(), t.array());
        }
      }
      CheckpointChecks.finite(weights, dir);
      HalfPrecisionWeights half = new HalfPrecisionWeights(kept);
      for (String name : half.names()) {
        try (NDManager check = m.newSubManager()) { // one widened tensor at a time
          CheckpointChecks.finite(Map.of(name, half.widen(name, check)), dir);
        }
      }
      return new LlamaModel(config, weights, half.names().isEmpty() ? null : half, m);
    } catch (RuntimeException e) {
      m.close();
      throw e;
    }
  }

  /** Saves as a Hugging Face directory with float32 weights; see {@link #save(Path, Dtype, Path)}. */
  public void save(Path dir) {
    save(dir, Dtype.F32, null);
  }

  /**
   * Writes {@code config.json}, {@code generation_config.json}, the weights ({@code dtype} F32, BF16 or F16; sharded
   * above 5 GB like transformers) and the tokenizer files found in {@code tokenizerSource} (may be null), atomically
   * through {@link ModelFiles#saveDirectory}.
   */
  public void save(Path dir, Dtype dtype, Path tokenizerSource) {
    if (halfWeights == null) {
      ModelFiles.saveDirectory(dir, ModelFiles.Contents.of(config.toJsonNode(), generationConfig(), parameters,
          tokenizerSource).withDtype(dtype));
      return;
    }
    // Kept 16-bit weights are widened for the writer (exact; BF16/F16 saves round them back to the same bits).
    try (NDManager widened = manager.newSubManager()) {
      Map<String, NDArray> all = new LinkedHashMap<>(parameters);
      for (String name : halfWeights.names()) {
        all.put(name, halfWeights.widen(name, widened));
      }
      ModelFiles.saveDirectory(dir, ModelFiles.Contents.of(config.toJsonNode(), generationConfig(), all,
          tokenizerSource).withDtype(dtype));
    }
  }

  private com.fasterxml.jackson.databind.node.ObjectNode generationConfig() {
    var o = Json.mapper().createObjectNode();
    if (config.bosTokenId() != null) {
      o.put("bos_token_id", config.bosTokenId());
    }
    if (config.eosTokenIds().size() == 1) {
      o.put("eos_token_id", config.eosTokenIds().get(0));
    } else if (!config.eosTokenIds().isEmpty()) {
      var a = o.putArray("eos_token_id");
      config.eosTokenIds().forEach(a::add);
    }
    if (config.padTokenId() != null) {
      o.put("pad_token_id", config.padTokenId());
    }
    return o;
  }

  /** Standard normal via Box-Muller (SplittableRandom has no nextGaussian on Java 17). */
  private static double gaussian(SplittableRandom rng) {
    double u1 = rng.nextDouble();
    double u2 = rng.nextDouble();
    return Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2);
  }

  public ModelConfig config() {
    return config;
  }

  /** The live parameter map (Hugging Face names); trainers update these arrays in place. */
  public Map<String, NDArray> parameters() {
    return Collections.unmodifiableMap(parameters);
  }

  /** Number of scalar parameters, float32 and kept 16-bit alike. */
  public long parameterCount() {
    return parameters.values().stream().mapToLong(a -> a.getShape().size()).sum()
        + (halfWeights == null ? 0 : halfWeights.elementCount());
  }

  /** The frozen weights kept at 2 bytes, or null when every weight is a float32 parameter. */
  public HalfPrecisionWeights halfPrecisionWeights() {
    return halfWeights;
  }

  /** Manager owning the parameters (null when the caller owns them). */
  public NDManager manager() {
    return manager;
  }

  /** A new, empty cache for incremental decoding. */
  public KvCache newCache(NDManager parent) {
    return new KvCache(config.numHiddenLayers(), parent);
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Forward passes

  /**
   * Logits {@code [B, T, V]} float32.
   *
   * @param inputIds {@code [B, T]} int64 token ids
   * @param attentionMask {@code [B, T]} (or {@code [B, past + T]} with a cache, as transformers takes it) with 1 for real
   *     tokens and 0 for padding; null means no padding
   * @param positionIds {@code [B, T]} int64; null derives them from the mask (cumulative sum - 1) or the cache length
   * @param cache keys and values of earlier tokens, appended to; null for a full forward
   */
  public NDArray forward(NDArray inputIds, NDArray attentionMask, NDArray positionIds, KvCache cache) {
    return escape(() -> head(hiddenInScope(inputIds, attentionMask, positionIds, cache)));
  }

  /** Final-normed hidden states {@code [B, T, H]} (before the LM head); arguments as {@link #forward}. */
  public NDArray hidden(NDArray inputIds, NDArray attentionMask, NDArray positionIds, KvCache cache) {
    return escape(() -> hiddenInScope(inputIds, attentionMask, positionIds, cache));
  }

  /**
   * Hidden states with an explicit additive attention bias {@code [B, 1, T, T]} (0 where attention is allowed, a large
   * negative number where not), e.g. block-diagonal masks for packed sequences with per-document position ids
   * ({@code positionIds} {@code [B, T]} int64; null means 0..T-1).
   */
  public NDArray hidden(NDArray inputIds, NDArray positionIds, NDArray attentionBias) {
    return escape(() -> decoder(inputIds, positionIds, attentionBias, null));
  }

  /** Logits with an explicit additive attention bias; see {@link #hidden(NDArray, NDArray, NDArray)}. */
  public NDArray forward(NDArray inputIds, NDArray positionIds, NDArray attentionBias) {
    return escape(() -> head(decoder(inputIds, positionIds, attentionBias, null)));
  }

  /** Applies the LM head (tied or not) to hidden states {@code [..., H]}: logits {@code [..., V]}. */
  public NDArray head(NDArray hidden) {
    return Linear.linear(hidden, headWeight(hidden.getManager())).singletonOrThrow();
  }

  /**
   * The LM head matrix {@code [V, H]}: {@code lm_head.weight}, or the embedding when tied; a kept 16-bit matrix comes
   * back widened into {@code m}'s scope.
   */
  public NDArray headWeight(NDManager m) {
    return param(has("lm_head.weight") ? "lm_head.weight" : "model.embed_tokens.weight", m);
  }

  /** The float32 LM head matrix; a model keeping it at 16 bits needs {@link #headWeight(NDManager)}. */
  public NDArray headWeight() {
    String name = has("lm_head.weight") ? "lm_head.weight" : "model.embed_tokens.weight";
    if (!parameters.containsKey(name)) {
      throw new IllegalStateException("'" + name + "' is kept at 16 bits; use headWeight(NDManager) to widen it");
    }
    return parameters.get(name);
  }

  private boolean has(String name) {
    return parameters.containsKey(name) || (halfWeights != null && halfWeights.contains(name));
  }

  private interface Computation {
    NDArray run();
  }

  /** Runs {@code c} in a fresh scope; only its result survives, handed to the caller's scope. */
  private static NDArray escape(Computation c) {
    NDArray out;
    try (NDScope scope = new NDScope()) {
      scope.suppressNotUsedWarning();
      out = c.run();
      NDScope.unregister(out);
    }
    NDScope.register(out);
    return out;
  }

  private NDArray hiddenInScope(NDArray inputIds, NDArray attentionMask, NDArray positionIds, KvCache cache) {
    Shape shape = inputIds.getShape();
    if (shape.dimension() != 2) {
      throw new IllegalArgumentException("inputIds must be [B, T], got " + shape);
    }
    int batch = (int) shape.get(0);
    int t = (int) shape.get(1);
    int past = cache == null ? 0 : cache.length();
    long[][] mask = fullMask(attentionMask, batch, t, past, cache);
    NDManager m = inputIds.getManager();
    if (positionIds == null) {
      positionIds = m.create(positions(mask, batch, t, past), new Shape(batch, t));
    }
    NDArray bias = attentionBias(m, mask, batch, t, past);
    NDArray h = decoder(inputIds, positionIds, bias, cache);
    if (cache != null) {
      cache.recordMask(mask);
      cache.advance(t);
    }
    return h;
  }

  /** The mask over past + current tokens, or null when nothing is padded. */
  private static long[][] fullMask(NDArray attentionMask, int batch, int t, int past, KvCache cache) {
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

  /** transformers' position ids: cumulative sum of the mask minus one, 1 on padding. */
  private static long[] positions(long[][] mask, int batch, int t, int past) {
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

  /** Additive bias {@code [B or 1, 1, T, S]}: causal, sliding window, padding. */
  private NDArray attentionBias(NDManager m, long[][] mask, int batch, int t, int past) {
    int s = past + t;
    Integer window = config.slidingWindow();
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

  /** Embedding, the decoder layers and the final norm. */
  private NDArray decoder(NDArray inputIds, NDArray positionIds, NDArray bias, KvCache cache) {
    Pass pass = new Pass(inputIds, positionIds, bias, cache);
    NDArray x = pass.embed();
    for (int i = 0; i < layers.length; i++) {
      // One scope per layer: a layer's intermediates are freed as soon as it is done, except what autograd saved for
      // backward (libtorch holds its own references). Without it a forward, with or without a graph, would keep
      // every intermediate of every layer until the caller's scope closes.
      int index = i;
      NDArray in = x;
      x = escape(() -> pass.layer(index, in));
    }
    return pass.norm(x);
  }

  /**
   * The decoder of one batch taken apart: embedding, each layer, final norm, so that a trainer can run the layers one
   * at a time (activation checkpointing keeps only each layer's input and recomputes the layer in backward).
   * {@code embed()}, then {@code layer(i, x)} for i in 0..{@link #numLayers()}, then {@code norm(x)} is exactly
   * {@link #hidden(NDArray, NDArray, NDArray)}. The RoPE tables and the bias are built once here, in the caller's
   * scope.
   *
   * @param inputIds {@code [B, T]} int64
   * @param positionIds {@code [B, T]} int64, or null for 0..T-1
   * @param attentionBias additive bias {@code [B or 1, 1, T, T]}
   */
  public Pass pass(NDArray inputIds, NDArray positionIds, NDArray attentionBias) {
    return new Pass(inputIds, positionIds, attentionBias, null);
  }

  /** Number of decoder layers. */
  public int numLayers() {
    return layers.length;
  }

  /** One batch's decoder, layer by layer; see {@link #pass}. */
  public final class Pass {
    private final NDArray inputIds;
    private final int batch;
    private final int t;
    private final NDArray cosQ;
    private final NDArray sinQ;
    private final NDArray cos;
    private final NDArray sin;
    private final NDArray bias5;
    private final KvCache cache;

    private Pass(NDArray inputIds, NDArray positionIds, NDArray bias, KvCache cache) {
      this.inputIds = inputIds;
      this.batch = (int) inputIds.getShape().get(0);
      this.t = (int) inputIds.getShape().get(1);
      this.cache = cache;
      int hd = config.headDim();
      NDManager m = inputIds.getManager();
      if (positionIds == null) {
        positionIds = m.create(positions(null, batch, t, 0), new Shape(batch, t));
      }
      // RoPE tables once per forward: [B, 1, T, hd]; the attention scale is folded into the query tables.
      NDArray freqs = positionIds.toType(DataType.FLOAT32, false).expandDims(2).mul(m.create(invFreq));
      NDArray sinHalf = freqs.sin();
      NDArray cosHalf = freqs.cos();
      this.cos = cosHalf.concat(cosHalf, 2).expandDims(1);
      this.sin = sinHalf.neg().concat(sinHalf, 2).expandDims(1);
      float scale = (float) (1.0 / Math.sqrt(hd));
      this.cosQ = cos.mul(scale);
      this.sinQ = sin.mul(scale);
      Shape biasShape = bias.getShape();
      this.bias5 = bias.reshape(biasShape.get(0), 1, 1, biasShape.get(2), biasShape.get(3));
    }

    /** Token embeddings {@code [B, T, H]}. */
    public NDArray embed() {
      String name = "model.embed_tokens.weight";
      if (!parameters.containsKey(name) && halfWeights != null && halfWeights.contains(name)) {
        return halfWeights.embeddingRows(name, inputIds, inputIds.getManager()); // widen only the rows used
      }
      return Embedding.embedding(inputIds.toType(DataType.INT64, false), param(name, inputIds.getManager()),
          ai.djl.ndarray.types.SparseFormat.DENSE).singletonOrThrow();
    }

    /** Decoder layer {@code index} applied to {@code x} {@code [B, T, H]}. */
    public NDArray layer(int index, NDArray x) {
      if (halfWeights == null) {
        return LlamaModel.this.layer(index, x, batch, t, cosQ, sinQ, cos, sin, bias5, cache);
      }
      // The layer's widened float32 weights live in this scope only, so one layer's worth exists at a time.
      return escape(() -> LlamaModel.this.layer(index, x, batch, t, cosQ, sinQ, cos, sin, bias5, cache));
    }

    /** The final RMSNorm. */
    public NDArray norm(NDArray x) {
      return rmsNorm(x, param("model.norm.weight", x.getManager()));
    }
  }

  private NDArray layer(int index, NDArray x, int batch, int t, NDArray cosQ, NDArray sinQ, NDArray cos,
      NDArray sin, NDArray bias5, KvCache cache) {
    LayerNames n = layers[index];
    int nh = config.numAttentionHeads();
    int nkv = config.numKeyValueHeads();
    int hd = config.headDim();
    int rep = nh / nkv;

    NDArray y = rmsNorm(x, param(n.inputNorm, x.getManager()));
    NDArray q = linear(y, n.q).reshape(batch, t, nh, hd).transpose(0, 2, 1, 3);
    NDArray k = linear(y, n.k).reshape(batch, t, nkv, hd).transpose(0, 2, 1, 3);
    NDArray v = linear(y, n.v).reshape(batch, t, nkv, hd).transpose(0, 2, 1, 3);
    q = rope(q, cosQ, sinQ);
    k = rope(k, cos, sin);
    if (cache != null) {
      NDArray[] kv = cache.append(index, k, v);
      k = kv[0];
      v = kv[1];
    }
    long s = k.getShape().get(2);
    // GQA without copying keys: query heads sharing a KV head are stacked along the time axis.
    NDArray scores = q.reshape(batch, nkv, (long) rep * t, hd).matMul(k.transpose(0, 1, 3, 2));
    NDArray probs = scores.reshape(batch, nkv, rep, t, s).add(bias5).softmax(-1).reshape(batch, nkv, (long) rep * t, s);
    NDArray attn = probs.matMul(v).reshape(batch, nh, t, hd).transpose(0, 2, 1, 3).reshape(batch, t, (long) nh * hd);
    x = x.add(linear(attn, n.o));

    y = rmsNorm(x, param(n.postNorm, x.getManager()));
    NDArray gate = linear(y, n.gate);
    NDArray act = gate.mul(Activation.sigmoid(gate)).mul(linear(y, n.up));
    return x.add(linear(act, n.down));
  }

  /** x·cos + rotate_half(x)·sin, with the sign of rotate_half folded into the sin table. */
  private static NDArray rope(NDArray x, NDArray cos, NDArray signedSin) {
    var halves = x.split(2, 3);
    NDArray swapped = halves.get(1).concat(halves.get(0), 3);
    return x.mul(cos).add(swapped.mul(signedSin));
  }

  /** RMSNorm in float32: x / sqrt(mean(x²) + eps) · w. */
  private NDArray rmsNorm(NDArray x, NDArray weight) {
    NDArray variance = x.square().mean(new int[] {-1}, true);
    return x.div(variance.add(config.rmsNormEps()).sqrt()).mul(weight);
  }

  private NDArray linear(NDArray x, String prefix) {
    NDArray w = param(prefix + ".weight", x.getManager());
    NDArray b = has(prefix + ".bias") ? param(prefix + ".bias", x.getManager()) : null;
    return (b == null ? Linear.linear(x, w) : Linear.linear(x, w, b)).singletonOrThrow();
  }

  /** A weight by name: the float32 parameter, or a kept 16-bit weight widened into {@code m} (current scope). */
  private NDArray param(String name, NDManager m) {
    NDArray a = parameters.get(name);
    if (a == null && halfWeights != null && halfWeights.contains(name)) {
      return halfWeights.widen(name, m);
    }
    if (a == null) {
      throw new CheckpointException("missing parameter '" + name + "'");
    }
    return a;
  }

  /** Names of the parameters, in Hugging Face order. */
  public List<String> parameterNames() {
    return new ArrayList<>(parameters.keySet());
  }

  /** Closes the parameter manager when this model owns one. */
  @Override
  public void close() {
    if (manager != null) {
      manager.close();
    }
  }
}
