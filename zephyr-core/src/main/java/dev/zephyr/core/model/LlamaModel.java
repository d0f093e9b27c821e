package dev.zephyr.core.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import dev.zephyr.core.model.safetensors.Dtype;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

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
 * <p>Weight loading, saving and random initialisation are in {@link LlamaWeights}; which array a weight name means
 * (an adapter's copy, a float32 parameter, a kept 16-bit weight widened for one use) in {@code WeightLookup};
 * padding masks, position ids and the attention bias in {@code AttentionMasks}; RoPE frequencies in
 * {@link RopeScaling}. Arrays a forward creates come from its inputs' managers, so they stay on their device.
 *
 * <p>Every intermediate array lives in an {@link NDScope} inside the call; only the result escapes (and is registered
 * with the caller's scope, if any).
 */
public final class LlamaModel implements AutoCloseable {
  private final ModelConfig config;
  private final WeightLookup weights;
  private final NDManager manager;
  private final float[] invFreq;
  private final LayerNames[] layers;
  private final MatmulBackend matmul;

  /**
   * Wraps existing parameters (checked against the config). The model owns {@code manager} when it is not null and
   * closes it in {@link #close()}.
   */
  public LlamaModel(ModelConfig config, Map<String, NDArray> parameters, NDManager manager) {
    this(config, parameters, null, manager);
  }

  /** Like the float32 constructor, plus frozen {@code half} weights kept at 2 bytes (may be null). */
  public LlamaModel(ModelConfig config, Map<String, NDArray> parameters, HalfPrecisionWeights half,
      NDManager manager) {
    this(config, parameters, half, manager, null, MatmulBackend.DJL);
  }

  private LlamaModel(ModelConfig config, Map<String, NDArray> parameters, HalfPrecisionWeights half,
      NDManager manager, LinearAdapter adapter, MatmulBackend matmul) {
    this.config = config;
    this.matmul = matmul;
    this.weights = new WeightLookup(parameters, half, adapter);
    this.manager = manager;
    this.invFreq = RopeScaling.inverseFrequencies(config);
    this.layers = new LayerNames[config.numHiddenLayers()];
    for (int i = 0; i < layers.length; i++) {
      layers[i] = LayerNames.of(i);
    }
    LlamaWeights.validate(config, parameters, half);
  }

  /** Expected shape of every parameter, in Hugging Face naming and order; see {@link LlamaWeights}. */
  public static Map<String, Shape> parameterShapes(ModelConfig c) {
    return LlamaWeights.parameterShapes(c);
  }

  /** Random weights as transformers draws them (N(0, 0.02²), norms 1, biases 0); see {@link LlamaWeights}. */
  public static LlamaModel random(ModelConfig config, long seed, NDManager parent) {
    return random(config, seed, 0.02, parent);
  }

  /** Like {@link #random(ModelConfig, long, NDManager)} with a chosen standard deviation. */
  public static LlamaModel random(ModelConfig config, long seed, double std, NDManager parent) {
    NDManager m = parent.newSubManager();
    return new LlamaModel(config, LlamaWeights.random(config, seed, std, m), m);
  }

  /** Loads a Hugging Face model directory; see {@link LlamaWeights#load}. */
  public static LlamaModel load(Path dir, NDManager parent) {
    return LlamaWeights.load(dir, parent);
  }

  /** Loads keeping the 16-bit weights {@code keep16Bit} names at 2 bytes; see {@link LlamaWeights#load}. */
  public static LlamaModel load(Path dir, NDManager parent, java.util.function.Predicate<String> keep16Bit) {
    return LlamaWeights.load(dir, parent, keep16Bit);
  }

  /** Saves as a Hugging Face directory with float32 weights; see {@link #save(Path, Dtype, Path)}. */
  public void save(Path dir) {
    save(dir, Dtype.F32, null);
  }

  /** Saves as a Hugging Face directory, kept 16-bit weights included; see {@link LlamaWeights#save}. */
  public void save(Path dir, Dtype dtype, Path tokenizerSource) {
    LlamaWeights.save(config, weights.parameters(), weights.half(), dir, dtype, tokenizerSource);
  }

  /** This model with {@code adapter} (LoRA) applied: a view sharing the base arrays, owning and changing nothing. */
  public LlamaModel withAdapter(LinearAdapter adapter) {
    return new LlamaModel(config, weights.parameters(), weights.half(), null,
        java.util.Objects.requireNonNull(adapter, "adapter"), matmul);
  }

  /**
   * This model with its projections and LM head multiplied by {@code backend} ({@link MatmulBackend#BF16} for
   * bfloat16 compute): a view sharing the arrays and the adapter, owning and changing nothing.
   */
  public LlamaModel withMatmul(MatmulBackend backend) {
    return new LlamaModel(config, weights.parameters(), weights.half(), null, weights.adapter(),
        java.util.Objects.requireNonNull(backend, "backend"));
  }

  /** Whether this view multiplies in bfloat16 ({@link MatmulBackend#BF16}). */
  public boolean computesInBf16() {
    return matmul == MatmulBackend.BF16;
  }

  /** The adapter this view applies, or null for a plain model. */
  public LinearAdapter adapter() {
    return weights.adapter();
  }

  public ModelConfig config() {
    return config;
  }

  /** The live parameter map (Hugging Face names); trainers update these arrays in place. */
  public Map<String, NDArray> parameters() {
    return Collections.unmodifiableMap(weights.parameters());
  }

  /** Number of scalar parameters, float32 and kept 16-bit alike. */
  public long parameterCount() {
    return weights.parameters().values().stream().mapToLong(a -> a.getShape().size()).sum()
        + (weights.half() == null ? 0 : weights.half().elementCount());
  }

  /** The frozen weights kept at 2 bytes, or null when every weight is a float32 parameter. */
  public HalfPrecisionWeights halfPrecisionWeights() {
    return weights.half();
  }

  /** Manager owning the parameters (null when the caller owns them). */
  public NDManager manager() {
    return manager;
  }

  /** A new, empty cache for incremental decoding that grows as needed. */
  public KvCache newCache(NDManager parent) {
    return new KvCache(config.numHiddenLayers(), parent);
  }

  /** A new, empty cache whose buffers hold {@code capacity} positions (prompt + new tokens), allocated once. */
  public KvCache newCache(NDManager parent, int capacity) {
    return new KvCache(config.numHiddenLayers(), capacity, parent);
  }

  /**
   * Logits {@code [B, T, V]} float32.
   *
   * @param inputIds {@code [B, T]} int64 token ids
   * @param attentionMask {@code [B, T]} (or {@code [B, past + T]} with a cache, as transformers takes it) with 1 for real
   *     tokens and 0 for padding; null means no padding
   * @param positionIds {@code [B, T]} int64; null derives them from the mask (cumulative sum - 1) or the cache length
   * @param cache keys and values of earlier tokens, appended to; null for a full forward. A single new token per row
   *     with a null mask and null position ids is the decode step: it reuses the cache's padding mask instead of
   *     building one
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
    return escape(() -> decoder(inputIds, positionIds, attentionBias, null, 0));
  }

  /** Logits with an explicit additive attention bias; see {@link #hidden(NDArray, NDArray, NDArray)}. */
  public NDArray forward(NDArray inputIds, NDArray positionIds, NDArray attentionBias) {
    return escape(() -> head(decoder(inputIds, positionIds, attentionBias, null, 0)));
  }

  /** Applies the LM head (tied or not) to hidden states {@code [..., H]}: logits {@code [..., V]}. */
  public NDArray head(NDArray hidden) {
    return escape(() -> matmul.linear(hidden, headWeight(hidden.getManager()), null));
  }

  /**
   * The LM head matrix {@code [V, H]}: {@code lm_head.weight}, an adapter's trained head, or the embedding when tied.
   * A head kept at 16 bits comes back as a float32 copy attached to {@code into}, which the caller closes; any other
   * head is the live parameter.
   */
  public NDArray headWeight(NDManager into) {
    return weights.head(into);
  }

  /** Whether {@link #headWeight} returns a float32 copy of a head kept at 16 bits (which never trains). */
  public boolean headIsWidened() {
    return weights.headIsWidened();
  }

  /**
   * The base model's float32 values of parameter {@code name} (adapters ignored): the live array, or for a weight
   * kept at 16 bits a float32 copy attached to {@code into}, which the caller closes.
   */
  public NDArray baseWeight(String name, NDManager into) {
    return weights.base(name, into);
  }

  /** Runs {@code c} in a fresh scope; only its result survives, handed to the caller's scope. */
  private static NDArray escape(java.util.function.Supplier<NDArray> c) {
    NDArray out;
    try (NDScope scope = new NDScope()) {
      scope.suppressNotUsedWarning();
      out = c.get();
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
    if (t == 1 && past > 0 && attentionMask == null && positionIds == null) {
      return decodeStep(inputIds, batch, cache);
    }
    long[][] mask = AttentionMasks.fullMask(attentionMask, batch, t, past, cache);
    NDManager m = inputIds.getManager();
    if (positionIds == null) {
      positionIds = m.create(AttentionMasks.positions(mask, batch, t, past), new Shape(batch, t));
    }
    NDArray bias = AttentionMasks.attentionBias(m, mask, batch, t, past, config.slidingWindow());
    NDArray h = decoder(inputIds, positionIds, bias, cache, 0);
    if (cache != null) {
      cache.advance(mask, batch, t);
    }
    return h;
  }

  /**
   * One new real token per row after the cached ones: the position ids and padding bias come from the cache, with no
   * mask built on the host. The query (the last position) sees every cached key, so causality needs no bias; a sliding
   * window reads only the keys inside it, which is what masking the older ones computes.
   */
  private NDArray decodeStep(NDArray inputIds, int batch, KvCache cache) {
    int keys = cache.length() + 1;
    Integer window = config.slidingWindow();
    int from = window != null && keys > window ? keys - window : 0;
    NDManager m = inputIds.getManager();
    NDArray positionIds = m.create(cache.nextPositions(), new Shape(batch, 1));
    NDArray h = decoder(inputIds, positionIds, cache.paddingBias(m, from, keys), cache, from);
    cache.advanceOneReal();
    return h;
  }

  /**
   * Embedding, the decoder layers and the final norm. {@code bias} may be null (nothing masked); with a cache,
   * attention reads the cached keys from position {@code keyFrom} on.
   */
  private NDArray decoder(NDArray inputIds, NDArray positionIds, NDArray bias, KvCache cache, int keyFrom) {
    Pass pass = new Pass(inputIds, positionIds, bias, cache, keyFrom);
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
    return new Pass(inputIds, positionIds, attentionBias, null, 0);
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
    private final int keyFrom;

    private Pass(NDArray inputIds, NDArray positionIds, NDArray bias, KvCache cache, int keyFrom) {
      this.inputIds = inputIds;
      this.batch = (int) inputIds.getShape().get(0);
      this.t = (int) inputIds.getShape().get(1);
      this.cache = cache;
      this.keyFrom = keyFrom;
      int hd = config.headDim();
      NDManager m = inputIds.getManager();
      if (positionIds == null) {
        positionIds = m.create(AttentionMasks.positions(null, batch, t, 0), new Shape(batch, t));
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
      Shape biasShape = bias == null ? null : bias.getShape();
      this.bias5 = bias == null ? null : bias.reshape(biasShape.get(0), 1, 1, biasShape.get(2), biasShape.get(3));
    }

    /** Token embeddings {@code [B, T, H]}. */
    public NDArray embed() {
      return weights.embed(inputIds);
    }

    /** The embedding table this pass reads (a trained copy when an adapter replaces it). */
    public NDArray embeddingWeight() {
      return param(WeightLookup.EMBEDDING, inputIds);
    }

    /** Decoder layer {@code index} applied to {@code x} {@code [B, T, H]}. */
    public NDArray layer(int index, NDArray x) {
      if (weights.half() != null) { // one layer's widened weights at a time: they die with this scope
        return escape(() -> LlamaModel.this.layer(index, x, batch, t, cosQ, sinQ, cos, sin, bias5, cache, keyFrom));
      }
      return LlamaModel.this.layer(index, x, batch, t, cosQ, sinQ, cos, sin, bias5, cache, keyFrom);
    }

    /** The final RMSNorm. */
    public NDArray norm(NDArray x) {
      return rmsNorm(x, param("model.norm.weight", x));
    }
  }

  private NDArray layer(int index, NDArray x, int batch, int t, NDArray cosQ, NDArray sinQ, NDArray cos,
      NDArray sin, NDArray bias5, KvCache cache, int keyFrom) {
    LayerNames n = layers[index];
    int nh = config.numAttentionHeads();
    int nkv = config.numKeyValueHeads();
    int hd = config.headDim();
    int rep = nh / nkv;

    NDArray y = rmsNorm(x, param(n.inputNorm(), x));
    NDArray q = linear(y, n.q()).reshape(batch, t, nh, hd).transpose(0, 2, 1, 3);
    NDArray k = linear(y, n.k()).reshape(batch, t, nkv, hd).transpose(0, 2, 1, 3);
    NDArray v = linear(y, n.v()).reshape(batch, t, nkv, hd).transpose(0, 2, 1, 3);
    q = rope(q, cosQ, sinQ);
    k = rope(k, cos, sin);
    if (cache != null) {
      NDArray[] kv = cache.append(index, k, v, keyFrom);
      k = kv[0];
      v = kv[1];
    }
    long s = k.getShape().get(2);
    long groups = (long) batch * nkv;
    // GQA without copying keys: query heads sharing a KV head are stacked along the time axis. The products are 3-D
    // (batch x KV head merged): libtorch's 4-D matmul copies the transposed keys first, 1.7x slower at SmolLM2 sizes.
    NDArray scores = q.reshape(groups, (long) rep * t, hd).matMul(k.reshape(groups, s, hd).transpose(0, 2, 1));
    NDArray masked = bias5 == null ? scores : scores.reshape(batch, nkv, rep, t, s).add(bias5);
    NDArray probs = masked.softmax(-1).reshape(groups, (long) rep * t, s);
    NDArray attn = probs.matMul(v.reshape(groups, s, hd)).reshape(batch, nh, t, hd).transpose(0, 2, 1, 3)
        .reshape(batch, t, (long) nh * hd);
    x = x.add(linear(attn, n.o()));

    y = rmsNorm(x, param(n.postNorm(), x));
    NDArray gate = linear(y, n.gate());
    NDArray act = gate.mul(Activation.sigmoid(gate)).mul(linear(y, n.up()));
    return x.add(linear(act, n.down()));
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

  /** x·Wᵀ + b, plus the adapter's term when the adapter targets this projection: the one hook for LoRA. */
  private NDArray linear(NDArray x, String prefix) {
    NDArray w = param(prefix + ".weight", x);
    NDArray b = weights.has(prefix + ".bias") ? param(prefix + ".bias", x) : null;
    NDArray y = matmul.linear(x, w, b);
    NDArray delta = weights.delta(prefix, x);
    return delta == null ? y : y.add(delta);
  }

  /** Weight {@code name}; a widened 16-bit copy goes to {@code x}'s manager and dies with the enclosing scope. */
  private NDArray param(String name, NDArray x) {
    return weights.get(name, x.getManager());
  }

  /** Names of the parameters, in Hugging Face order. */
  public List<String> parameterNames() {
    return new ArrayList<>(weights.parameters().keySet());
  }

  /** Closes the parameter manager when this model owns one. */
  @Override
  public void close() {
    if (manager != null) {
      manager.close();
    }
  }
}
