package dev.zephyr.cli;

import dev.zephyr.core.model.ModelConfig;
import dev.zephyr.train.bench.BenchShape;
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

  /** These sizes as a benchmark shape ({@code default} when they are the defaults). */
  BenchShape shape() {
    return BenchShape.sized(vocab, hidden, inter, layers, heads, kvHeads);
  }

  /** The config of that shape (Llama norms and RoPE defaults, no EOS) with room for {@code maxPositions} tokens. */
  ModelConfig config(int maxPositions) {
    return shape().config(maxPositions);
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
