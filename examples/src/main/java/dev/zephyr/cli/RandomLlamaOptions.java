package dev.zephyr.cli;

import dev.zephyr.core.model.ModelConfig;
import dev.zephyr.core.model.ModelType;
import java.util.List;
import java.util.SplittableRandom;
import picocli.CommandLine.Option;

/** Picocli mixin for the shape of the randomly initialised Llama model the benchmark commands time. */
final class RandomLlamaOptions {
  @Option(names = "--vocab", defaultValue = "32000", description = "vocabulary size") int vocab;
  @Option(names = "--hidden", defaultValue = "256", description = "hidden size") int hidden;
  @Option(names = "--inter", defaultValue = "688", description = "MLP intermediate size") int inter;
  @Option(names = "--layers", defaultValue = "4", description = "decoder layers") int layers;
  @Option(names = "--heads", defaultValue = "8", description = "attention heads") int heads;
  @Option(names = "--kv-heads", defaultValue = "4", description = "key/value heads (GQA)") int kvHeads;

  /** The config of that shape (Llama norms and RoPE defaults, no EOS) with room for {@code maxPositions} tokens. */
  ModelConfig config(int maxPositions) {
    return ModelConfig.builder().modelType(ModelType.LLAMA).vocabSize(vocab).hiddenSize(hidden)
        .intermediateSize(inter).numHiddenLayers(layers).numAttentionHeads(heads).numKeyValueHeads(kvHeads)
        .rmsNormEps(1e-5).ropeTheta(10000.0).maxPositionEmbeddings(maxPositions).eosTokenIds(List.of()).build();
  }

  /** {@code n} token ids drawn uniformly from the vocabulary. */
  int[] randomIds(SplittableRandom rng, int n) {
    int[] ids = new int[n];
    for (int i = 0; i < n; i++) {
      ids[i] = rng.nextInt(vocab);
    }
    return ids;
  }
}
