package dev.zephyr.train.loop;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import dev.zephyr.core.model.LlamaModel;
import dev.zephyr.core.model.TorchKernels;

/**
 * Next-token log-probabilities through the LM head with a hand-written backward, so that at most one piece's
 * vocabulary-sized array exists at any time, in the forward and in the backward (the idea behind fused linear
 * cross-entropy kernels), each piece one call of {@link TorchKernels}.
 *
 * <ol>
 *   <li>{@link #forward}: the hidden states are read without a graph, piece by piece; each piece's logits give the
 *       picked log-probs and the log-sum-exp of every position (and, when asked, entropy, argmax hits and mean
 *       logit). Only the log-probs {@code [R, T-1]} (a leaf that requires a gradient) and the log-sum-exps are kept.
 *   <li>The caller computes its loss from {@link #tokenLogProbs()} and runs {@code backward} on it: this fills the
 *       leaf's gradient {@code w}, the per-token loss weights.
 *   <li>{@link #backward}: piece by piece, the logits are recomputed and turned in place into
 *       {@code dz = w·(onehot(target) - softmax)}, the gradient of the weighted log-probs; {@code dz·W} is the hidden
 *       states' gradient and {@code dzᵀ·h} is added in place ({@code addmm_}) to the head weight's gradient when it
 *       trains. The hidden states' gradient is then pushed through the decoder in one backward.
 * </ol>
 * The head runs twice per step (three times with autograd's chunked recomputation, which this replaced) and no
 * {@code [V, H]} temporary exists, so the weight's gradient costs no memory beyond its own array. The gradients equal
 * those of one autograd pass up to float rounding ({@code FusedHeadTest}). A model that
 * {@linkplain LlamaModel#computesInBf16() computes in bfloat16} multiplies the head in bfloat16 too, as autocast does,
 * with the softmax and the gradients in float32.
 */
public final class FusedHead {
  /** Default tokens per vocabulary projection chunk. */
  public static final int DEFAULT_CHUNK = 512;
  /**
   * Largest {@code [positions, V]} float32 array of one piece (24 MiB: 128 positions at SmolLM2's 49152 tokens, 196
   * at 32000). Below glibc's largest mmap threshold (32 MiB), so a freed piece is reused rather than returned to the
   * kernel and faulted in again, which on this class of machine costs more than the arithmetic.
   */
  static final long PIECE_BYTES = 24L << 20;

  private final LlamaModel model;
  private final NDArray hidden;
  private final NDArray flat;
  private final NDArray targets;
  private final NDArray logps;
  private final NDArray lse;
  private final NDArray work;
  private final float[] meanLogits;
  private final float[] entropy;
  private final float[] argmaxHits;
  private final int chunk;

  private FusedHead(LlamaModel model, NDArray hidden, NDArray flat, NDArray targets, Pass1 pass1, int chunk) {
    this.model = model;
    this.hidden = hidden;
    this.flat = flat;
    this.targets = targets;
    this.logps = pass1.logps();
    this.lse = pass1.lse();
    this.work = pass1.work();
    this.meanLogits = pass1.stats().meanLogits();
    this.entropy = pass1.stats().entropy();
    this.argmaxHits = pass1.stats().argmaxHits();
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
    int n = Math.toIntExact(targets.getShape().get(0));
    PositionStats stats = new PositionStats(keepMeanLogits ? new float[n] : null,
        keepTokenStats ? new float[n] : null, keepTokenStats ? new float[n] : null);
    Pass1 pass1 = logProbsNoGraph(model, flat, targets, chunk, ids.getShape(), stats, true);
    pass1.logps().setRequiresGradient(true);
    return new FusedHead(model, flat, flat.stopGradient(), targets, pass1, chunk);
  }

  /**
   * {@code log p(ids[:, t+1] | ids[:, <=t])}, shape {@code [R, T-1]}, without building a graph (for reference models
   * and evaluation); at most one chunk's {@code [chunk, V]} tensors exist at a time.
   */
  public static NDArray nextTokenLogProbsNoGrad(LlamaModel model, NDArray hidden, NDArray ids, int chunk) {
    Pass1 pass1 = logProbsNoGraph(model, flatten(hidden, ids), targets(ids), chunk, ids.getShape(),
        PositionStats.NONE, false);
    pass1.lse().close();
    return pass1.logps();
  }

  /** Next-token log-probs {@code [R, T-1]}: a leaf requiring a gradient; build the loss from it. */
  public NDArray tokenLogProbs() {
    return logps;
  }

  /**
   * Pass 2: call after {@code backward} of a loss built from {@link #tokenLogProbs()} (inside the same collector).
   * Accumulates the gradients of the head weight (when it trains) and of every decoder parameter.
   *
   * <p>The head weight's gradient is added piece by piece before the decoder's backward (in the first step, whose
   * backward creates the gradient array, after it, in one more pass). A tied head's embedding part
   * comes after it when the decoder defers it to {@link DecoderGraph#backward} (a training step), as in one combined
   * pass; a decoder graph that reaches the embedding itself (NEFTune without checkpointing) adds it with the hidden
   * states' gradient.
   */
  public void backward(GradientCollector gc) {
    long n = targets.getShape().get(0);
    if (n == 0) {
      return;
    }
    NDArray weights = logps.getGradient().reshape(n, 1);
    NDArray head = model.headIsWidened() ? null : model.headWeight(flat.getManager()); // the live array
    boolean trainsHead = head != null && head.hasGradient();
    NDArray headGradient = trainsHead ? JniUtils.getGradient((PtNDArray) head) : null;
    Shape buffer = work.getShape();
    NDArray dh;
    try (NDArray w = work) { // freed before the decoder's backward
      dh = pieces(w, weights, headGradient);
    }
    try (dh) {
      gc.backward(hidden.mul(dh.reshape(hidden.getShape())).sum());
    }
    if (trainsHead && headGradient == null) {
      // the first step: libtorch creates a parameter's gradient on the first backward that reaches it. Reaching the
      // head weight here, after the decoder's backward freed the activations, keeps its [V, H] array off their peak;
      // one more pass then adds the weight's gradient (the hidden states' part is already done)
      headGradient = JniUtils.getGradient((PtNDArray) head);
      if (headGradient == null) {
        try (NDArray row = head.get(0); NDArray zero = row.mul(0).sum()) {
          gc.backward(zero);
        }
        headGradient = JniUtils.getGradient((PtNDArray) head);
      }
      try (NDArray w = flat.getManager().create(buffer)) {
        pieces(w, weights, headGradient).close(); // only the head weight's gradient is wanted from this pass
      }
    }
  }

  /**
   * The head's backward kernel over every piece in {@code buffer}: returns the hidden states' gradient
   * {@code [R*(T-1), H]} and adds the head weight's into {@code headGradient} when it is not null.
   */
  private NDArray pieces(NDArray buffer, NDArray weights, NDArray headGradient) {
    NDManager m = flat.getManager();
    TorchKernels kernels = TorchKernels.get();
    NDList pieces = new NDList();
    forEachPiece(model, m, targets.getShape().get(0), rowsPerPiece(chunk, model.config().vocabSize()),
        (range, start, end, head) -> {
          NDArray dh = kernels.call("head_backward", m, buffer, flat.get(range), head, targets.get(range),
              lse.get(range), weights.get(range), headGradient == null ? buffer : headGradient,
              headGradient != null, model.computesInBf16())[0];
          NDScope.unregister(dh);
          pieces.add(dh);
        });
    return join(pieces);
  }

  /** One piece's work: its positions {@code [start, end)} as an index, and the head operand to pass the kernel. */
  private interface Piece {
    void run(NDIndex range, long start, long end, Object head);
  }

  /**
   * Runs {@code piece} over positions {@code [0, n)}, {@code rows} at a time, with autograd off and each piece in its
   * own scope. The head operand is the model's head weight, or for a model that multiplies in bfloat16 its copy
   * rounded once for all the pieces.
   */
  private static void forEachPiece(LlamaModel model, NDManager m, long n, int rows, Piece piece) {
    boolean grad = JniUtils.isGradMode();
    JniUtils.setGradMode(false);
    try (TorchKernels.Held bf16 = bf16Head(model, m)) {
      for (long start = 0; start < n; start += rows) {
        long end = Math.min(n, start + rows);
        try (NDScope scope = new NDScope()) {
          scope.suppressNotUsedWarning();
          piece.run(new NDIndex("{}:{}", start, end), start, end, bf16 != null ? bf16 : model.headWeight(m));
        }
      }
    } finally {
      JniUtils.setGradMode(grad);
    }
  }

  /**
   * For a model that multiplies in bfloat16, its head weight rounded once for a whole pass (rounding it per piece
   * allocated and faulted in a new {@code [V, H]} copy each time); null otherwise.
   */
  private static TorchKernels.Held bf16Head(LlamaModel model, NDManager m) {
    if (!model.computesInBf16()) {
      return null;
    }
    try (NDScope scope = new NDScope()) {
      scope.suppressNotUsedWarning();
      return TorchKernels.get().bf16Copy(model.headWeight(m)); // a widened 16-bit head dies with the scope
    }
  }

  /**
   * Positions per piece: at most {@code chunk}, and few enough that a {@code [rows, V]} float32 array stays within
   * {@link #PIECE_BYTES}.
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
    Pass1 pass1 = logProbsNoGraph(model, flatten(hidden, ids), targets, chunk, ids.getShape(),
        new PositionStats(out, null, null), false);
    pass1.logps().close();
    pass1.lse().close();
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

  /**
   * Pass 1's results: the log-probs {@code [R, T-1]}, each position's log-sum-exp {@code [R*(T-1), 1]}, and the
   * {@code [piece, V]} work buffer when kept for the backward (else null).
   */
  private record Pass1(NDArray logps, NDArray lse, PositionStats stats, NDArray work) {}

  /**
   * The head over every position, a piece at a time, in one or two {@code [piece, V]} buffers allocated once and
   * written in place by the kernels: a fresh vocabulary-sized array per piece would be returned to the kernel and
   * faulted in again each time, which costs more than the arithmetic.
   */
  private static Pass1 logProbsNoGraph(LlamaModel model, NDArray flat, NDArray targets, int chunk, Shape ids,
      PositionStats stats, boolean keepWork) {
    long n = targets.getShape().get(0);
    NDManager m = flat.getManager();
    TorchKernels kernels = TorchKernels.get();
    int piece = rowsPerPiece(chunk, model.config().vocabSize());
    Shape buffer = new Shape(Math.max(1, Math.min(piece, n)), model.config().vocabSize());
    NDArray work = m.create(buffer);
    NDArray work2 = stats.entropy() != null ? m.create(buffer) : work;
    // the pieces stay on the device and are joined there (no round trip through host memory)
    NDList picked = new NDList();
    NDList lses = new NDList();
    try {
      forEachPiece(model, m, n, piece, (rows, start, end, head) -> {
        NDArray[] out = kernels.call("head_log_probs", m, work, work2, flat.get(rows), head, targets.get(rows),
            model.computesInBf16(), stats.entropy() != null, stats.meanLogits() != null);
        int offset = (int) start;
        int count = (int) (end - start);
        if (stats.meanLogits() != null) {
          System.arraycopy(out[4].toFloatArray(), 0, stats.meanLogits(), offset, count);
        }
        if (stats.entropy() != null) {
          System.arraycopy(out[2].toFloatArray(), 0, stats.entropy(), offset, count);
          System.arraycopy(out[3].toFloatArray(), 0, stats.argmaxHits(), offset, count);
        }
        NDScope.unregister(out[0], out[1]);
        picked.add(out[0]);
        lses.add(out[1]);
      });
      NDArray all = join(picked);
      NDArray logps = all.reshape(ids.get(0), ids.get(1) - 1); // a view: it keeps the storage when all is closed
      if (all != logps) {
        all.close();
      }
      return new Pass1(logps, join(lses), stats, keepWork ? work : null);
    } finally {
      if (work2 != work) {
        work2.close();
      }
      if (!keepWork) {
        work.close();
      }
    }
  }

  /** The pieces as one array (the single piece itself, or a concatenation after which the pieces are closed). */
  private static NDArray join(NDList parts) {
    if (parts.size() == 1) {
      return parts.get(0);
    }
    NDArray all = parts.isEmpty() ? null : NDArrays.concat(parts);
    parts.close();
    return all;
  }
}
