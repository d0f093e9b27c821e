package dev.zephyr.cli;

import ai.djl.ndarray.NDManager;
import dev.zephyr.core.model.LlamaModel;
import dev.zephyr.core.model.ModelConfig;
import dev.zephyr.core.model.ModelType;
import dev.zephyr.core.testing.TestData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Test fixture: the tiny model the training commands and the example programs are run on. */
public final class TinyModels {
  private TinyModels() {}

  /** Saves a one-layer random Llama with the Zephyr tokenizer as {@code dir/model} and returns that directory. */
  public static Path withZephyrTokenizer(Path dir) throws Exception {
    ModelConfig config = ModelConfig.builder().modelType(ModelType.LLAMA).vocabSize(32000).hiddenSize(16)
        .intermediateSize(32).numHiddenLayers(1).numAttentionHeads(2).numKeyValueHeads(1).rmsNormEps(1e-5)
        .ropeTheta(10000.0).maxPositionEmbeddings(512).bosTokenId(1).eosTokenIds(List.of(2)).build();
    Path model = dir.resolve("model");
    try (NDManager m = NDManager.newBaseManager(); LlamaModel lm = LlamaModel.random(config, 1, m)) {
      lm.save(model);
    }
    for (String f : List.of("tokenizer.json", "tokenizer_config.json")) {
      Files.copy(TestData.path("tokenizers", "zephyr", f), model.resolve(f));
    }
    return model;
  }
}
