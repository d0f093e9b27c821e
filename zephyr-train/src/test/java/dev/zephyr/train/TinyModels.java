package dev.zephyr.train;

import ai.djl.ndarray.NDManager;
import dev.zephyr.core.model.LlamaModel;
import dev.zephyr.core.model.ModelConfig;
import dev.zephyr.core.model.ModelType;
import java.util.List;

/** Tiny random Llama models for training tests. */
public final class TinyModels {
  private TinyModels() {}

  public static ModelConfig config(int vocab) {
    return ModelConfig.builder().modelType(ModelType.LLAMA).vocabSize(vocab).hiddenSize(32).intermediateSize(64)
        .numHiddenLayers(2).numAttentionHeads(4).numKeyValueHeads(2).rmsNormEps(1e-5).ropeTheta(10000.0)
        .maxPositionEmbeddings(256).eosTokenIds(List.of(2)).bosTokenId(1).build();
  }

  /** A model with a large init std, so its log-probs vary from token to token. */
  public static LlamaModel random(NDManager m, int vocab, long seed) {
    return LlamaModel.random(config(vocab), seed, 0.2, m);
  }
}
