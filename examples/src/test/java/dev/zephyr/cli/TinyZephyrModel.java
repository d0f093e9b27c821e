package dev.zephyr.cli;

import ai.djl.ndarray.NDManager;
import dev.zephyr.core.model.LlamaModel;
import dev.zephyr.core.model.ModelConfig;
import java.nio.file.Path;

/** A tiny random Llama model with the Zephyr tokenizer's vocabulary, saved as a Hugging Face model directory. */
final class TinyZephyrModel {
  private TinyZephyrModel() {}

  /** Saves one layer of width 16 with random weights from {@code seed} (std 0.5) into {@code dir}. */
  static Path save(Path dir, long seed) {
    try (NDManager m = NDManager.newBaseManager()) {
      ModelConfig c = ModelConfig.builder().vocabSize(32000).hiddenSize(16).numAttentionHeads(2).numKeyValueHeads(1)
          .intermediateSize(24).numHiddenLayers(1).build();
      try (LlamaModel model = LlamaModel.random(c, seed, 0.5, m)) {
        model.save(dir);
      }
    }
    return dir;
  }
}
