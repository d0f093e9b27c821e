package dev.zephyr.train.loop;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import dev.zephyr.core.model.LlamaModel;

/**
 * The decoder's final hidden states for a training step, with or without activation checkpointing
 * ({@code gradient_checkpointing} in transformers).
 *
 * <p>Without checkpointing, {@link #hidden()} is in the graph of the whole decoder, and {@link #backward} has nothing
 * left to do or, in a training step whose embedding trains, only the embedding's gradient (the graph then starts at a
 * leaf holding the embeddings, so the LM head's weight, for a tied head the same table, can take its gradient after
 * the layers have freed their activations and before the embedding's part, the order of one combined pass). With it, the forward runs without a graph and keeps only each layer's input; {@link #hidden()} is the
 * final norm over a leaf standing for the last layer's output. Once a loss built on {@link #hidden()} has been
 * back-propagated (the leaf then holds its gradient), {@link #backward} recomputes the layers from the last to the
 * first, one at a time with a graph, and back-propagates each with the gradient of its output, ending in the
 * embedding. Activation memory falls from every layer's saved tensors to one layer's plus the {@code [B, T, H]} layer
 * inputs, for one more decoder forward per step; the gradients are the same up to float rounding
 * ({@code DecoderGraphTest}).
 */
public final class DecoderGraph {
  private final NDArray ids;
  private final LlamaModel.Pass pass;
  private final NDArray[] inputs;
  private final NDArray lastLeaf;
  private final NDArray hidden;
  private final NDArray embedded;
  private final NDArray embeddedLeaf;

  private DecoderGraph(NDArray ids, LlamaModel.Pass pass, NDArray[] inputs, NDArray lastLeaf, NDArray hidden) {
    this(ids, pass, inputs, lastLeaf, hidden, null, null);
  }

  private DecoderGraph(NDArray ids, LlamaModel.Pass pass, NDArray[] inputs, NDArray lastLeaf, NDArray hidden,
      NDArray embedded, NDArray embeddedLeaf) {
    this.ids = ids;
    this.pass = pass;
    this.inputs = inputs;
    this.lastLeaf = lastLeaf;
    this.hidden = hidden;
    this.embedded = embedded;
    this.embeddedLeaf = embeddedLeaf;
  }

  /**
   * Runs the decoder over padded rows: their ids, positions and block-diagonal causal bias become arrays of the
   * model's manager, in the caller's scope.
   */
  public static DecoderGraph forward(LlamaModel model, PaddedRows rows, boolean checkpointing) {
    NDManager m = model.parameters().values().iterator().next().getManager();
    Shape shape = new Shape(rows.rows(), rows.length());
    return forward(model, m.create(rows.ids(), shape), m.create(rows.positions(), shape),
        CausalLm.attentionBias(m, rows.docIds()), checkpointing);
  }

  /**
   * Runs the decoder over padded rows as a training step's {@code context} asks: with activation checkpointing when
   * it says so, and with NEFTune noise on the input embeddings when its alpha is positive. Without either, and when
   * autograd is on and the embedding trains, the layers run from a leaf standing for the embeddings, so that the
   * backward of a loss on {@link #hidden()} stops there and {@link #backward} adds the embedding's gradient last,
   * after whatever the caller back-propagates in between (the LM head's weight, for a tied head the same table).
   */
  public static DecoderGraph forward(LlamaModel model, PaddedRows rows, StepContext context) {
    NDManager m = model.parameters().values().iterator().next().getManager();
    Shape shape = new Shape(rows.rows(), rows.length());
    NDArray ids = m.create(rows.ids(), shape);
    NDArray positions = m.create(rows.positions(), shape);
    NDArray bias = CausalLm.attentionBias(m, rows.docIds());
    if (context.neftuneNoiseAlpha() > 0) {
      Neftune noise = new Neftune(context.neftuneNoiseAlpha(), context.random().split());
      return forward(model, ids, positions, bias, context.gradientCheckpointing(), noise);
    }
    if (!context.gradientCheckpointing() && JniUtils.isGradMode() && model.halfPrecisionWeights() == null) {
      LlamaModel.Pass pass = model.pass(ids, positions, bias);
      if (pass.embeddingWeight().hasGradient()) {
        return fromEmbeddedLeaf(ids, pass, model.numLayers());
      }
    }
    return forward(model, ids, positions, bias, context.gradientCheckpointing(), null);
  }

  /** The decoder in the graph from a leaf holding the embeddings' values; each layer's intermediates in a scope. */
  private static DecoderGraph fromEmbeddedLeaf(NDArray ids, LlamaModel.Pass pass, int layers) {
    NDArray embedded = pass.embed();
    NDArray leaf = embedded.stopGradient();
    leaf.setRequiresGradient(true);
    NDArray x = leaf;
    for (int i = 0; i < layers; i++) {
      x = inScope(pass, i, x);
    }
    return new DecoderGraph(ids, null, null, null, pass.norm(x), embedded, leaf);
  }

  /**
   * Runs the decoder over {@code ids [B, T]} (positions {@code [B, T]} or null, additive bias {@code [B, 1, T, T]}).
   * Arrays live in the caller's scope.
   */
  public static DecoderGraph forward(LlamaModel model, NDArray ids, NDArray positions, NDArray bias,
      boolean checkpointing) {
    return forward(model, ids, positions, bias, checkpointing, null);
  }

  private static DecoderGraph forward(LlamaModel model, NDArray ids, NDArray positions, NDArray bias,
      boolean checkpointing, Neftune noise) {
    if (!checkpointing && noise == null) {
      return new DecoderGraph(ids, null, null, null, model.hidden(ids, positions, bias));
    }
    LlamaModel.Pass pass = model.pass(ids, positions, bias);
    int n = model.numLayers();
    if (!checkpointing) {
      // the whole decoder in the graph, as model.hidden runs it, with the noise added after the embedding
      NDArray x = noise.add(pass.embed());
      for (int i = 0; i < n; i++) {
        x = pass.layer(i, x);
      }
      return new DecoderGraph(ids, null, null, null, pass.norm(x));
    }
    NDArray[] inputs = new NDArray[n];
    NDArray x;
    boolean grad = JniUtils.isGradMode();
    JniUtils.setGradMode(false);
    try {
      // the noise is a constant: the embedding's gradient in backward() is the same without it
      x = noise == null ? pass.embed() : noise.add(pass.embed());
      for (int i = 0; i < n; i++) {
        inputs[i] = x;
        x = inScope(pass, i, x);
      }
    } finally {
      JniUtils.setGradMode(grad);
    }
    x.setRequiresGradient(true);
    return new DecoderGraph(ids, pass, inputs, x, pass.norm(x));
  }

  /** The token ids {@code [B, T]} the decoder ran over. */
  public NDArray ids() {
    return ids;
  }

  /** Final-normed hidden states {@code [B, T, H]}: build the loss from these. */
  public NDArray hidden() {
    return hidden;
  }

  /**
   * Call after the backward of a loss built on {@link #hidden()}, inside the same collector: completes the gradients
   * of every decoder parameter (with checkpointing the layers', else the embedding's when the forward deferred it).
   */
  public void backward(GradientCollector gc) {
    if (embeddedLeaf != null) {
      try (NDScope scope = new NDScope()) {
        scope.suppressNotUsedWarning();
        gc.backward(embedded.mul(embeddedLeaf.getGradient()).sum());
      }
      return;
    }
    if (pass == null) {
      return;
    }
    NDArray upstream = lastLeaf.getGradient();
    for (int i = inputs.length - 1; i >= 0; i--) {
      NDArray leaf = inputs[i];
      leaf.setRequiresGradient(true);
      try (NDScope scope = new NDScope()) {
        scope.suppressNotUsedWarning();
        gc.backward(pass.layer(i, leaf).mul(upstream).sum());
      }
      upstream = leaf.getGradient();
    }
    try (NDScope scope = new NDScope()) {
      scope.suppressNotUsedWarning();
      // a frozen embedding (LoRA without embed_tokens in modules_to_save) has nothing to receive
      if (pass.embeddingWeight().hasGradient()) {
        gc.backward(pass.embed().mul(upstream).sum());
      }
    }
  }

  private static NDArray inScope(LlamaModel.Pass pass, int layer, NDArray x) {
    NDArray out;
    try (NDScope scope = new NDScope()) {
      scope.suppressNotUsedWarning();
      out = pass.layer(layer, x);
      NDScope.unregister(out);
    }
    NDScope.register(out);
    return out;
  }

  /**
   * NEFTune (Jain et al. 2023, as transformers' {@code neftune_post_forward_hook}): uniform noise in
   * {@code [-alpha / sqrt(L * d), alpha / sqrt(L * d)]} added to the embeddings {@code [B, L, d]}, drawn from the
   * step's generator so a resumed run adds the same noise.
   */
  static final class Neftune {
    private final double alpha;
    private final java.util.SplittableRandom random;

    Neftune(double alpha, java.util.SplittableRandom random) {
      this.alpha = alpha;
      this.random = random;
    }

    NDArray add(NDArray embeddings) {
      Shape s = embeddings.getShape();
      double magnitude = alpha / Math.sqrt((double) s.get(1) * s.get(2));
      float[] noise = new float[Math.toIntExact(s.size())];
      for (int i = 0; i < noise.length; i++) {
        noise[i] = (float) ((random.nextDouble() * 2 - 1) * magnitude);
      }
      return embeddings.add(embeddings.getManager().create(noise, s));
    }
  }
}
