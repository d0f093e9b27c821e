package dev.zephyr.cli;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import dev.zephyr.core.model.ModelConfig;
import dev.zephyr.train.bench.BenchShape;
import java.util.SplittableRandom;
import picocli.CommandLine.Option;

/**
 * Picocli mixin for the randomly initialised Llama model the benchmark commands time, and their thread count: the
 * size flags, {@code --shape} and {@code --threads} of {@code torch_reference.py bench}, with its defaults.
 */
final class RandomLlamaOptions {
  @Option(names = "--shape", description = "a real model's shape with random weights: default, smollm2-135m or"
      + " qwen2.5-0.5b (overrides the size flags)") String shapeName;
  @Option(names = "--vocab", defaultValue = "32000", description = "vocabulary size") int vocab;
  @Option(names = "--hidden", defaultValue = "256", description = "hidden size") int hidden;
  @Option(names = "--inter", defaultValue = "688", description = "MLP intermediate size") int inter;
  @Option(names = "--layers", defaultValue = "4", description = "decoder layers") int layers;
  @Option(names = "--heads", defaultValue = "8", description = "attention heads") int heads;
  @Option(names = "--kv-heads", defaultValue = "4", description = "key/value heads (GQA)") int kvHeads;
  @Option(names = "--threads", defaultValue = "0",
      description = "libtorch intra-op threads (0 = libtorch default, or -Dai.djl.pytorch.num_threads)") int threads;

  /** The named shape, or these sizes ({@code default} when they are the defaults). */
  BenchShape shape() {
    return shapeName != null ? BenchShape.named(shapeName)
        : BenchShape.sized(vocab, hidden, inter, layers, heads, kvHeads);
  }

  /** The config of that shape (Llama norms and RoPE defaults, no EOS) with room for {@code maxPositions} tokens. */
  ModelConfig config(int maxPositions) {
    return shape().config(maxPositions);
  }

  /**
   * Sets libtorch's intra-op threads when {@code --threads} is positive: the property covers an engine not started
   * yet, the JNI call one that is.
   */
  void applyThreads() {
    if (threads > 0) {
      System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(threads));
      System.setProperty("zephyr.generate.threads", Integer.toString(threads)); // the generator's own policy too
      Engine.getInstance(); // loads libtorch, reading the property if it starts now
      JniUtils.setNumThreads(threads);
    }
  }

  /** {@code n} token ids drawn uniformly from the vocabulary. */
  int[] randomIds(SplittableRandom rng, int n) {
    int v = shape().vocab();
    int[] ids = new int[n];
    for (int i = 0; i < n; i++) {
      ids[i] = rng.nextInt(v);
    }
    return ids;
  }
}
