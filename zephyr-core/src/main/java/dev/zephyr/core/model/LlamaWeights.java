package dev.zephyr.core.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.zephyr.core.CheckpointException;
import dev.zephyr.core.device.Devices;
import dev.zephyr.core.io.Json;
import dev.zephyr.core.model.safetensors.Dtype;
import dev.zephyr.core.model.safetensors.Safetensors;
import dev.zephyr.core.model.safetensors.StoredTensor;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The parameters of a Llama-family decoder on disk and in memory: the shapes a config implies (Hugging Face names and
 * order), checking a parameter map against them, random initialisation as transformers does it, and loading and
 * saving Hugging Face model directories. The decoder itself is {@link LlamaModel}.
 */
public final class LlamaWeights {
  private LlamaWeights() {}

  /** Expected shape of every parameter, in Hugging Face naming and order. */
  public static Map<String, Shape> parameterShapes(ModelConfig c) {
    Map<String, Shape> s = new LinkedHashMap<>();
    int h = c.hiddenSize();
    int q = c.numAttentionHeads() * c.headDim();
    int kv = c.numKeyValueHeads() * c.headDim();
    s.put("model.embed_tokens.weight", new Shape(c.vocabSize(), h));
    for (int i = 0; i < c.numHiddenLayers(); i++) {
      LayerNames n = LayerNames.of(i);
      s.put(n.q() + ".weight", new Shape(q, h));
      s.put(n.k() + ".weight", new Shape(kv, h));
      s.put(n.v() + ".weight", new Shape(kv, h));
      s.put(n.o() + ".weight", new Shape(h, q));
      if (c.attentionBias()) {
        s.put(n.q() + ".bias", new Shape(q));
        s.put(n.k() + ".bias", new Shape(kv));
        s.put(n.v() + ".bias", new Shape(kv));
        if (c.modelType() == ModelType.LLAMA) {
          s.put(n.o() + ".bias", new Shape(h));
        }
      }
      s.put(n.gate() + ".weight", new Shape(c.intermediateSize(), h));
      s.put(n.up() + ".weight", new Shape(c.intermediateSize(), h));
      s.put(n.down() + ".weight", new Shape(h, c.intermediateSize()));
      s.put(n.inputNorm(), new Shape(h));
      s.put(n.postNorm(), new Shape(h));
    }
    s.put("model.norm.weight", new Shape(h));
    if (!c.tieWordEmbeddings()) {
      s.put("lm_head.weight", new Shape(c.vocabSize(), h));
    }
    return s;
  }

  /** Every parameter the config implies is present (biases may be absent) with its shape, in float32. */
  static void validate(ModelConfig config, Map<String, NDArray> parameters, HalfPrecisionWeights half) {
    for (Map.Entry<String, Shape> e : parameterShapes(config).entrySet()) {
      String name = e.getKey();
      NDArray a = parameters.get(name);
      if (a == null && half != null && half.contains(name)) {
        if (!half.shape(name).equals(e.getValue())) {
          throw new CheckpointException("parameter '" + name + "' has shape " + half.shape(name)
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
   * Parameters initialised as transformers initialises them: weights ~ N(0, std²), norms 1, biases 0, owned by
   * {@code m}. The bytes depend only on the config, the seed and the standard deviation.
   */
  static Map<String, NDArray> random(ModelConfig config, long seed, double std, NDManager m) {
    Map<String, NDArray> params = new LinkedHashMap<>();
    for (Map.Entry<String, Shape> e : parameterShapes(config).entrySet()) {
      String name = e.getKey();
      Shape shape = e.getValue();
      float[] data = new float[Math.toIntExact(shape.size())];
      if (name.endsWith("norm.weight")) {
        Arrays.fill(data, 1f);
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
    return params;
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
   * so leave their names out. F32 tensors load as float32 whatever {@code keep16Bit} says. On a device other than the
   * CPU, BF16 tensors are widened at load (only F16 ones are kept): widening bfloat16 bits needs host memory.
   */
  public static LlamaModel load(Path dir, NDManager parent, java.util.function.Predicate<String> keep16Bit) {
    ModelConfig config = ModelConfig.load(dir);
    CheckpointChecks.headersMatch(config, dir);
    NDManager m = parent.newSubManager();
    try {
      Map<String, NDArray> weights = new java.util.LinkedHashMap<>();
      Map<String, StoredTensor> kept = new java.util.LinkedHashMap<>();
      // widening bfloat16 bits needs host memory views, so on a GPU BF16 weights are widened once here instead
      boolean onHost = Devices.isHost(m.getDevice());
      for (Map.Entry<String, StoredTensor> e : Safetensors.loadKeeping16Bit(dir, m, name -> true).entrySet()) {
        StoredTensor t = e.getValue();
        if (t.isRaw16() && keep16Bit.test(e.getKey()) && (onHost || t.storedAs() == Dtype.F16)) {
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

  /**
   * Writes {@code config.json}, {@code generation_config.json}, the weights ({@code dtype} F32, BF16 or F16; sharded
   * above 5 GB like transformers) and the tokenizer files found in {@code tokenizerSource} (may be null), atomically
   * through {@link ModelFiles#saveDirectory}.
   */
  public static void save(ModelConfig config, Map<String, NDArray> parameters, Path dir, Dtype dtype,
      Path tokenizerSource) {
    save(config, parameters, null, dir, dtype, tokenizerSource);
  }

  /**
   * Like {@link #save(ModelConfig, Map, Path, Dtype, Path)}, with the {@code half} weights (may be null) widened one
   * at a time as they are written: exact, since a 16-bit save rounds back to the same bits.
   */
  static void save(ModelConfig config, Map<String, NDArray> parameters, HalfPrecisionWeights half, Path dir,
      Dtype dtype, Path tokenizerSource) {
    if (half != null) {
      try (NDManager widened = half.manager().newSubManager()) {
        Map<String, NDArray> all = new LinkedHashMap<>(parameters);
        half.names().forEach(name -> all.put(name, half.widen(name, widened)));
        save(config, all, null, dir, dtype, tokenizerSource);
      }
      return;
    }
    ModelFiles.saveDirectory(dir, ModelFiles.Contents.of(config.toJsonNode(), generationConfig(config), parameters,
        tokenizerSource).withDtype(dtype));
  }

  private static ObjectNode generationConfig(ModelConfig config) {
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
}
