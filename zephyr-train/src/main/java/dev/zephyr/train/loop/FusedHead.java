package dev.zephyr.train.loop;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import dev.zephyr.core.model.LlamaModel;

/**
 * Next-token log-probabilities through the LM head with a two-pass backward, so that at most one chunk's
 * vocabulary-sized tensors exist at any time, in the forward and in the backward (the idea behind fused linear
 * cross-entropy kernels, written here with plain tensor ops).
 *
 * <p>Under autograd, a chunked head still keeps every chunk's {@code [chunk, V]} log-softmax alive until backward.
 * Here instead:
 * <ol>
 *   <li>{@link #forward}: the hidden states are cut from the decoder graph (a detached leaf); the head and
 *       log-softmax run chunk by chunk without a graph and only the gathered log-probs {@code [R, T-1]} are kept, as a
 *       leaf that requires a gradient.
 *   <li>The caller computes its loss from {@link #tokenLogProbs()} and runs {@code backward} on it: this fills the
 *       leaf's gradient, the per-token loss weights.
 *   <li>{@link #backward}: the head is recomputed with a graph from the hidden-state leaf, piece by piece, and each
 *       piece's weighted sum is back-propagated into the leaf with the head weight held constant; the accumulated
 *       hidden-state gradient is pushed through the decoder in one backward, which frees the activations; then,
 *       for a trained head, the head is recomputed once more chunk by chunk for its weight's gradient.
 * </ol>
 * The gradients equal those of the single-pass graph up to float rounding and, as checked on CPU for SFT and DPO with
 * tied and untied heads, bit for bit those of computing the head weight's and the hidden states' gradients together
 * chunk by chunk. A trained head runs three times (about 6% more arithmetic in a SmolLM2-135M step), a frozen one
 * twice; in exchange the weight's {@code [V, H]} gradient temporary and the {@code [c, V]} arrays never coincide
 * with the decoder's activations, which set the peak of a full fine-tuning step.
 */
public final class FusedHead {
  /** Default tokens per vocabulary projection chunk. */
  public static final int DEFAULT_CHUNK = 512;
  /**
   * Largest {@code [positions, V]} float32 array of the passes that compute each position on its own (8 MiB: 42
   * positions at SmolLM2's 49152 tokens); the head weight's gradient sums over positions and runs per chunk.
   */
  static final long PIECE_BYTES = 8L << 20;

  private final LlamaModel model;
  private final NDArray hidden;
  private final NDArray hiddenLeaf;
  private final NDArray targets;
  private final NDArray logps;
  private final float[] meanLogits;
  private final float[] entropy;
  private final float[] argmaxHits;
  private final int chunk;

  private FusedHead(LlamaModel model, NDArray hidden, NDArray hiddenLeaf, NDArray targets, NDArray logps,
      PositionStats stats, int chunk) {
    this.model = model;
    this.hidden = hidden;
    this.hiddenLeaf = hiddenLeaf;
    this.targets = targets;
    this.logps = logps;
    this.meanLogits = stats.meanLogits();
    this.entropy = stats.entropy();
    this.argmaxHits = stats.argmaxHits();
    this.chunk = chunk;
  }

  /**
   * Pass 1 over final hidden states {@code [R, T, H]} (in the decoder graph) of token rows {@code ids [R, T]}.
   *
   * @param chunk tokens (over all rows) per vocabulary projection
   */
  public static FusedHead forward(LlamaModel model, NDArray hidden, NDArray ids, int chunk) {
    return forward(model, hidden, ids, chunk, false);
  }

  /**
   * Pass 1, as {@link #forward(LlamaModel, NDArray, NDArray, int)}.
   *
   * @param keepMeanLogits also keep each position's vocabulary-mean logit ({@link #meanLogits()})
   */
  public static FusedHead forward(LlamaModel model, NDArray hidden, NDArray ids, int chunk, boolean keepMeanLogits) {
    return forward(model, hidden, ids, chunk, keepMeanLogits, false);
  }

  /**
   * Pass 1, as {@link #forward(LlamaModel, NDArray, NDArray, int)}.
   *
   * @param keepMeanLogits also keep each position's vocabulary-mean logit ({@link #meanLogits()})
   * @param keepTokenStats also keep each position's predictive entropy ({@link #entropy()}) and whether its argmax is
   *     the next token ({@link #argmaxHits()}), from the same chunk of logits as the log-probs
   */
  public static FusedHead forward(LlamaModel model, NDArray hidden, NDArray ids, int chunk, boolean keepMeanLogits,
      boolean keepTokenStats) {
    NDArray flat = flatten(hidden, ids);
    NDArray targets = targets(ids);
    NDArray leaf = flat.stopGradient();
    leaf.setRequiresGradient(true);
    int n = Math.toIntExact(targets.getShape().get(0));
    PositionStats stats = new PositionStats(keepMeanLogits ? new float[n] : null,
        keepTokenStats ? new float[n] : null, keepTokenStats ? new float[n] : null);
    NDArray logps = logProbsNoGraph(model, leaf, targets, chunk, ids.getShape(), stats);
    logps.setRequiresGradient(true);
    return new FusedHead(model, flat, leaf, targets, logps, stats, chunk);
  }

  /**
   * {@code log p(ids[:, t+1] | ids[:, <=t])}, shape {@code [R, T-1]}, without building a graph (for reference models
   * and evaluation); at most one chunk's {@code [chunk, V]} tensors exist at a time.
   */
  public static NDArray nextTokenLogProbsNoGrad(LlamaModel model, NDArray hidden, NDArray ids, int chunk) {
    boolean grad = JniUtils.isGradMode();
    JniUtils.setGradMode(false);
    try {
      return logProbsNoGraph(model, flatten(hidden, ids), targets(ids), chunk, ids.getShape(), PositionStats.NONE);
    } finally {
      JniUtils.setGradMode(grad);
    }
  }

  /** Next-token log-probs {@code [R, T-1]}: a leaf requiring a gradient; build the loss from it. */
  public NDArray tokenLogProbs() {
    return logps;
  }

  /**
   * Pass 2: call after {@code backward} of a loss built from {@link #tokenLogProbs()} (inside the same collector).
   * Accumulates the gradients of the head weight and of every decoder parameter.
   *
   * <p>When the head weight is a float32 parameter, its gradient is computed last: first the hidden states' gradient,
   * piece by piece with the weight held constant; then the decoder's backward, which frees the activations autograd
   * saved; only then, chunk by chunk, the weight's {@code [V, H]} gradient, whose temporary no longer coincides with
   * the activations. Each value is computed by the same operations as in one combined pass and the head weight's
   * chunks are summed in the same order. A tied head's embedding part comes after it when the decoder defers it to
   * {@link DecoderGraph#backward} (a training step), as in one combined pass; a decoder graph that reaches the
   * embedding itself (NEFTune without checkpointing) adds it first, which for one chunk is the same sum.
   */
  public void backward(GradientCollector gc) {
    long n = targets.getShape().get(0);
    if (n == 0) {
      return;
    }
    NDArray weights = logps.getGradient().reshape(n, 1);
    // a head kept at 16 bits would be widened just to ask whether it trains: such a model runs the combined pass
    NDArray headWeight = model.halfPrecisionWeights() == null ? model.headWeight(hiddenLeaf.getManager()) : null;
    if (headWeight == null) {
      backwardRows(hiddenLeaf, weights, chunk, gc);
      gc.backward(hidden.mul(hiddenLeaf.getGradient()).sum());
      return;
    }
    boolean trainsHead = headWeight.hasGradient();
    if (trainsHead) {
      headWeight.setRequiresGradient(false);
    }
    try {
      backwardRows(hiddenLeaf, weights, rowsPerPiece(chunk, model.config().vocabSize()), gc);
    } finally {
      if (trainsHead) {
        headWeight.setRequiresGradient(true);
      }
    }
    gc.backward(hidden.mul(hiddenLeaf.getGradient()).sum());
    if (trainsHead) {
      try (NDArray constant = hiddenLeaf.stopGradient()) {
        backwardRows(constant, weights, chunk, gc);
      }
    }
  }

  /** Back-propagates the weighted picked log-probs from {@code h}, {@code rows} positions at a time. */
  private void backwardRows(NDArray h, NDArray weights, int rows, GradientCollector gc) {
    long n = targets.getShape().get(0);
    for (long start = 0; start < n; start += rows) {
      long end = Math.min(n, start + rows);
      try (NDScope scope = new NDScope()) {
        scope.suppressNotUsedWarning();
        NDIndex range = new NDIndex("{}:{}", start, end);
        NDArray picked = pickedLogProbs(model, h.get(range), targets.get(range));
        gc.backward(picked.mul(weights.get(range)).sum());
      }
    }
  }

  /**
   * Positions per piece where each position's values are computed on their own (the log-probs and statistics of
   * pass 1, the hidden states' gradient): at most {@code chunk}, and few enough that a {@code [rows, V]} float32
   * array stays within {@link #PIECE_BYTES}, since a few of them exist at once.
   */
  static int rowsPerPiece(int chunk, long vocab) {
    return (int) Math.max(1, Math.min(chunk, PIECE_BYTES / (4 * vocab)));
  }

  /** Hidden states of the positions that predict a next token, flattened: {@code [R*(T-1), H]}. */
  private static NDArray flatten(NDArray hidden, NDArray ids) {
    long r = ids.getShape().get(0);
    long t = ids.getShape().get(1);
    long h = hidden.getShape().get(2);
    return hidden.get(new NDIndex(":, 0:{}, :", t - 1)).reshape(r * (t - 1), h);
  }

  /** The next tokens, flattened: {@code [R*(T-1), 1]}. */
  private static NDArray targets(NDArray ids) {
    long r = ids.getShape().get(0);
    long t = ids.getShape().get(1);
    return ids.get(new NDIndex(":, 1:")).reshape(r * (t - 1), 1);
  }

  /**
   * The vocabulary-mean logit at each position that predicts a next token, {@code [R*(T-1)]} row-major, without a
   * graph (TRL's {@code logits/chosen} and {@code logits/rejected} average it over completion tokens).
   */
  public static float[] meanLogitsNoGrad(LlamaModel model, NDArray hidden, NDArray ids, int chunk) {
    NDArray targets = targets(ids);
    float[] out = new float[Math.toIntExact(targets.getShape().get(0))];
    boolean grad = JniUtils.isGradMode();
    JniUtils.setGradMode(false);
    try {
      logProbsNoGraph(model, flatten(hidden, ids), targets, chunk, ids.getShape(), new PositionStats(out, null, null));
    } finally {
      JniUtils.setGradMode(grad);
    }
    return out;
  }

  /** The vocabulary-mean logit per position (as {@link #meanLogitsNoGrad}), from pass 1; null unless asked for. */
  public float[] meanLogits() {
    return meanLogits;
  }

  /**
   * The entropy {@code -sum_v p_v log p_v} of each position's predictive distribution, {@code [R*(T-1)]} row-major,
   * from pass 1; null unless asked for.
   */
  public float[] entropy() {
    return entropy;
  }

  /** 1 where a position's most likely token (argmax of its logits) is the next token, else 0; null unless asked for. */
  public float[] argmaxHits() {
    return argmaxHits;
  }

  /** Per-position values pass 1 fills while a chunk's logits exist; a null array is not computed. */
  private record PositionStats(float[] meanLogits, float[] entropy, float[] argmaxHits) {
    static final PositionStats NONE = new PositionStats(null, null, null);
  }

  private static NDArray logProbsNoGraph(LlamaModel model, NDArray flat, NDArray targets, int chunk, Shape ids,
      PositionStats stats) {
    long n = targets.getShape().get(0);
    // the chunks' log-probs stay on the device and are joined there (no round trip through host memory)
    ai.djl.ndarray.NDList parts = new ai.djl.ndarray.NDList();
    boolean grad = JniUtils.isGradMode();
    JniUtils.setGradMode(false);
    try {
      int piece = rowsPerPiece(chunk, model.config().vocabSize());
      for (long start = 0; start < n; start += piece) {
        long end = Math.min(n, start + piece);
        try (NDScope scope = new NDScope()) {
          scope.suppressNotUsedWarning();
          NDIndex rows = new NDIndex("{}:{}", start, end);
          NDArray part = pickedLogProbs(model, flat.get(rows), targets.get(rows), stats, (int) start);
          NDScope.unregister(part);
          parts.add(part);
        }
      }
      NDArray all = parts.size() == 1 ? parts.get(0) : ai.djl.ndarray.NDArrays.concat(parts);
      NDArray out = all.reshape(ids.get(0), ids.get(1) - 1); // a view: it keeps the storage when all is closed
      if (parts.size() > 1) {
        all.close();
      }
      return out;
    } finally {
      JniUtils.setGradMode(grad);
      parts.close();
    }
  }

  /** {@code log_softmax(h W^T)[target]} per row, {@code [c, 1]}; the {@code [c, V]} handles are closed early. */
  private static NDArray pickedLogProbs(LlamaModel model, NDArray h, NDArray targets) {
    return pickedLogProbs(model, h, targets, PositionStats.NONE, 0);
  }

  /** As above, also writing the rows' statistics into {@code stats} from index {@code offset}. */
  private static NDArray pickedLogProbs(LlamaModel model, NDArray h, NDArray targets, PositionStats stats,
      int offset) {
    NDArray logits = model.head(h);
    if (stats.meanLogits() != null) {
      float[] means = logits.mean(new int[] {1}).toFloatArray();
      System.arraycopy(means, 0, stats.meanLogits(), offset, means.length);
    }
    if (stats.argmaxHits() != null) {
      try (NDArray argmax = logits.argMax(1);
          NDArray hits = argmax.eq(targets.reshape(-1)).toType(ai.djl.ndarray.types.DataType.FLOAT32, false)) {
        float[] h01 = hits.toFloatArray();
        System.arraycopy(h01, 0, stats.argmaxHits(), offset, h01.length);
      }
    }
    NDArray logSoftmax = logits.logSoftmax(-1);
    // autograd keeps what its backward needs (log_softmax saves its output, not its input)
    logits.close();
    NDArray picked = logSoftmax.gather(targets, 1);
    if (stats.entropy() != null) {
      // only in pass 1, without a graph: p log p is formed in place over p, so one [c, V] array exists beside the
      // log-softmax
      try (NDArray plogp = logSoftmax.exp().muli(logSoftmax); NDArray sum = plogp.sum(new int[] {1})) {
        float[] e = sum.toFloatArray();
        for (int i = 0; i < e.length; i++) {
          stats.entropy()[offset + i] = -e[i];
        }
      }
    }
    logSoftmax.close();
    return picked;
  }
}
