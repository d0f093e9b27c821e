package dev.zephyr.parity;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.zephyr.core.model.LlamaModel;
import dev.zephyr.core.model.ModelConfig;
import dev.zephyr.core.model.ModelFiles;
import dev.zephyr.core.model.ModelType;
import dev.zephyr.core.model.safetensors.Dtype;
import dev.zephyr.core.testing.TestData;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/** Random Llama-family checkpoints written by zephyr's own writer, with the Zephyr tokenizer Jlama insists on. */
final class TinyCheckpoints {
  private TinyCheckpoints() {}

  /** A config of the given size: BOS 1, EOS 2, rope_theta 10000, untied head. */
  static ModelConfig.Builder builder(ModelType type, int vocab, int hidden, int inter, int layers, int heads,
      int kvHeads) {
    return ModelConfig.builder()
        .modelType(type)
        .vocabSize(vocab)
        .hiddenSize(hidden)
        .intermediateSize(inter)
        .numHiddenLayers(layers)
        .numAttentionHeads(heads)
        .numKeyValueHeads(kvHeads)
        .rmsNormEps(1e-5)
        .ropeTheta(10000.0)
        .maxPositionEmbeddings(2048)
        .tieWordEmbeddings(false)
        .bosTokenId(1)
        .eosTokenIds(List.of(2));
  }

  /** A Llama config of the given size (untied head). */
  static ModelConfig llama(int vocab, int hidden, int inter, int layers, int heads, int kvHeads) {
    return builder(ModelType.LLAMA, vocab, hidden, inter, layers, heads, kvHeads).build();
  }

  /** Writes a random F32 model ({@code std} for the weights) as a Hugging Face directory at {@code dir}. */
  static void write(Path dir, ModelConfig config, long seed, double std) {
    write(dir, config, seed, std, Dtype.F32);
  }

  /**
   * Writes a random model as a Hugging Face directory at {@code dir}, weights stored as {@code dtype}. Biases, which
   * {@link LlamaModel#random} leaves at zero, get random values too so that their use is checked.
   */
  static void write(Path dir, ModelConfig config, long seed, double std, Dtype dtype) {
    try (NDManager manager = NDManager.newBaseManager();
        LlamaModel model = LlamaModel.random(config, seed, std, manager)) {
      Map<String, NDArray> weights = new LinkedHashMap<>(model.parameters());
      SplittableRandom random = new SplittableRandom(seed);
      for (Map.Entry<String, NDArray> e : weights.entrySet()) {
        if (e.getKey().endsWith(".bias")) {
          float[] values = new float[Math.toIntExact(e.getValue().size())];
          for (int i = 0; i < values.length; i++) {
            values[i] = (float) ((random.nextDouble() * 2 - 1) * std * 4);
          }
          e.setValue(manager.create(values, e.getValue().getShape()));
        }
      }
      ModelFiles.saveDirectory(dir, new ModelFiles.Contents(config.toJsonNode(),
          Map.of("bos_token_id", 1, "eos_token_id", 2), weights, dtype, ModelFiles.DEFAULT_MAX_SHARD_BYTES,
          TestData.path("tokenizers", "zephyr")));
    }
  }
}
