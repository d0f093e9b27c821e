package dev.zephyr.parity;

import ai.djl.ndarray.NDManager;
import dev.zephyr.core.model.LlamaModel;
import dev.zephyr.core.model.ModelConfig;
import dev.zephyr.core.model.ModelFiles;
import dev.zephyr.core.model.ModelType;
import dev.zephyr.core.model.safetensors.Dtype;
import dev.zephyr.core.testing.SharedData;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** Random Llama-family checkpoints written by zephyr's own writer, with the Zephyr tokenizer Jlama insists on. */
final class TinyCheckpoints {
  private TinyCheckpoints() {}

  /** A Llama config of the given size: BOS 1, EOS 2, untied head (Jlama's Llama reads lm_head.weight). */
  static ModelConfig llama(int vocab, int hidden, int inter, int layers, int heads, int kvHeads) {
    return ModelConfig.builder()
        .modelType(ModelType.LLAMA)
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
        .eosTokenIds(List.of(2))
        .build();
  }

  /** Writes a random model ({@code std} for the weights) as an F32 Hugging Face directory at {@code dir}. */
  static void write(Path dir, ModelConfig config, long seed, double std) {
    try (NDManager manager = NDManager.newBaseManager();
        LlamaModel model = LlamaModel.random(config, seed, std, manager)) {
      ModelFiles.saveDirectory(dir, new ModelFiles.Contents(config.toJsonNode(),
          Map.of("bos_token_id", 1, "eos_token_id", 2), model.parameters(), Dtype.F32,
          ModelFiles.DEFAULT_MAX_SHARD_BYTES, SharedData.path("tokenizers", "zephyr")));
    }
  }
}
