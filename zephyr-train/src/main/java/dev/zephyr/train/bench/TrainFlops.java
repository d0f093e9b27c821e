package dev.zephyr.train.bench;

import dev.zephyr.core.model.ModelConfig;

/**
 * Model FLOPs per token of a training step, the numerator of MFU (PaLM's accounting: 2 FLOPs per multiply-add, work
 * the model needs, not what an implementation recomputes). With {@code N} the parameters of every projection and the
 * LM head (the embedding lookup is free, so an untied embedding is not counted), {@code A} the LoRA adapter
 * parameters (0 for full fine-tuning), {@code L} layers, {@code d} = heads x head_dim and {@code T} tokens per row:
 * <ul>
 *   <li>a trained token costs {@code 4·(N + A) + 2·W + 12·L·d·T}: forward {@code 2·(N + A)}, backward to the
 *       activations {@code 2·(N + A)}, backward to the trained weights {@code 2·W} with {@code W = N} (full) or
 *       {@code A} (LoRA), and attention scores and weighted sums ({@code 4·L·d·T} forward, twice that backward);
 *       full fine-tuning is the familiar {@code 6·N + 12·L·d·T};
 *   <li>a token a frozen reference only scores costs {@code 2·N + 4·L·d·T}.
 * </ul>
 * Recomputation (gradient checkpointing, the second pass of the fused LM head) is not counted.
 */
public final class TrainFlops {
  private TrainFlops() {}

  /** {@code N}: parameters that take part in matrix products (projections and the LM head). */
  public static long matmulParams(ModelConfig c) {
    long h = c.hiddenSize();
    long q = (long) c.numAttentionHeads() * c.headDim();
    long kv = (long) c.numKeyValueHeads() * c.headDim();
    long perLayer = h * q + 2 * h * kv + q * h + 3 * h * c.intermediateSize();
    return c.numHiddenLayers() * perLayer + (long) c.vocabSize() * h;
  }

  /** Attention FLOPs of one token's forward over {@code t} positions: {@code 4·L·d·T}. */
  static double attentionForward(ModelConfig c, int t) {
    return 4.0 * c.numHiddenLayers() * c.numAttentionHeads() * c.headDim() * t;
  }

  /** FLOPs of one trained token in rows of {@code t} tokens, with {@code adapterParams} LoRA parameters (0: full). */
  public static double trainedToken(ModelConfig c, long adapterParams, int t) {
    long n = matmulParams(c);
    long trainedWeights = adapterParams > 0 ? adapterParams : n;
    return 4.0 * (n + adapterParams) + 2.0 * trainedWeights + 3 * attentionForward(c, t);
  }

  /** FLOPs of one token a frozen reference model scores in rows of {@code t} tokens. */
  public static double referenceToken(ModelConfig c, int t) {
    return 2.0 * matmulParams(c) + attentionForward(c, t);
  }
}
