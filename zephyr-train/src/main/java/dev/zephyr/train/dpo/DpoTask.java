package dev.zephyr.train.dpo;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import dev.zephyr.core.model.LlamaModel;
import dev.zephyr.train.loop.CausalLm;
import dev.zephyr.train.loop.DecoderGraph;
import dev.zephyr.train.loop.FusedHead;
import dev.zephyr.train.loop.PaddedRows;
import dev.zephyr.train.loop.Scalars;
import dev.zephyr.train.loop.StepContext;
import dev.zephyr.train.loop.TrainingTask;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * DPO on a {@link LlamaModel}, as TRL's DPOTrainer computes it: a forward over the concatenated
 * {@code [chosen; rejected]} rows of the pairs (right-padded), completion log-probs summed per sequence, and the
 * reference either from a frozen model (a no-grad forward each step) or from log-probs cached in the examples
 * ({@link ReferenceLogps}). The loss unit is the pair; the trainer averages over the pairs of an optimizer step.
 *
 * <p>A micro-batch may be run as several such forwards of fewer pairs ({@code pairsPerForward}), each
 * back-propagated before the next one starts. Every DPO loss term is a sum over pairs (the {@code sft} term over
 * chosen tokens) divided by a whole-batch count, so the loss, gradients and metrics are those of the single forward;
 * only the activations of one part are alive at a time. By default a cached-reference run splits the micro-batch in
 * two, so a forward holds as many rows as an SFT batch of the same size.
 */
public final class DpoTask implements TrainingTask<DpoExample, DpoTask.Batch> {
  private final LlamaModel policy;
  private final LlamaModel reference;
  private final DpoLoss loss;
  private final int chunk;
  private final int pairsPerForward;

  /**
   * A micro-batch of pairs, laid out as one or more forwards.
   *
   * @param forwards consecutive groups of pairs, each run as one forward
   */
  public record Batch(List<Forward> forwards) {
    public Batch {
      forwards = List.copyOf(forwards);
    }

    /** Pairs in the micro-batch. */
    public int pairs() {
      return forwards.stream().mapToInt(Forward::pairs).sum();
    }

    /** Input tokens over all rows. */
    public long tokens() {
      return forwards.stream().mapToLong(f -> f.rows().tokens()).sum();
    }

    /**
     * Chosen completion tokens in the micro-batch: the normaliser of the {@code sft} term and of
     * {@code logits/chosen} (every completion token has a predicting position, since prompts are never empty).
     */
    public double chosenTokens() {
      return forwards.stream().mapToDouble(f -> sum(f.chosenTokens())).sum();
    }

    /** Rejected completion tokens in the micro-batch: the normaliser of {@code logits/rejected}. */
    public double rejectedTokens() {
      return forwards.stream().mapToDouble(f -> sum(f.rejectedTokens())).sum();
    }

    private static double sum(float[] a) {
      double s = 0;
      for (float x : a) {
        s += x;
      }
      return s;
    }
  }

  /**
   * One forward: {@code 2P} rows, the chosen sequences of P pairs, then their rejected sequences.
   *
   * @param rows the decoder input, chosen rows first, then rejected rows
   * @param completionMask [2P*(T-1)] 1 where target t+1 is a completion token
   * @param chosenTokens completion lengths of the chosen sequences
   * @param rejectedTokens completion lengths of the rejected sequences
   * @param refChosen cached reference log-probs (null when a reference model runs)
   * @param refRejected cached reference log-probs (null when a reference model runs)
   */
  public record Forward(PaddedRows rows, float[] completionMask, float[] chosenTokens, float[] rejectedTokens,
      float[] refChosen, float[] refRejected) {

    /** Pairs in this forward. */
    public int pairs() {
      return chosenTokens.length;
    }
  }

  /**
   * @param reference frozen reference model, or null when every example carries cached reference log-probs
   */
  public DpoTask(LlamaModel policy, LlamaModel reference, DpoLoss loss) {
    this(policy, reference, loss, FusedHead.DEFAULT_CHUNK);
  }

  /**
   * @param chunk vocabulary projection chunk: tokens (over all rows) in training ({@link #lossAndBackward}) and
   *     without a graph; positions per row in the single-pass {@link #loss}
   */
  public DpoTask(LlamaModel policy, LlamaModel reference, DpoLoss loss, int chunk) {
    this(policy, reference, loss, chunk, 0);
  }

  /**
   * @param pairsPerForward at most this many pairs ({@code 2n} rows) per forward; 0 picks the default: half the
   *     micro-batch (rounded up) with cached reference log-probs, the whole micro-batch with a reference model (TRL's
   *     single concatenated forward)
   */
  public DpoTask(LlamaModel policy, LlamaModel reference, DpoLoss loss, int chunk, int pairsPerForward) {
    if (pairsPerForward < 0) {
      throw new IllegalArgumentException("pairs_per_forward must be >= 0, got " + pairsPerForward);
    }
    this.policy = policy;
    this.reference = reference;
    this.loss = loss;
    this.chunk = chunk;
    this.pairsPerForward = pairsPerForward;
  }

  /** Pairs per forward for a micro-batch of {@code pairs} pairs. */
  public int pairsPerForward(int pairs) {
    if (pairsPerForward > 0) {
      return Math.min(pairsPerForward, pairs);
    }
    return reference == null ? (pairs + 1) / 2 : pairs;
  }

  @Override
  public Batch collate(List<DpoExample> pairs) {
    int perForward = pairsPerForward(pairs.size());
    List<Forward> forwards = new ArrayList<>();
    for (int start = 0; start < pairs.size(); start += perForward) {
      forwards.add(forward(pairs.subList(start, Math.min(pairs.size(), start + perForward)), reference == null));
    }
    return new Batch(forwards);
  }

  /**
   * Lays out {@code pairs} as one forward.
   *
   * @param cachedReference take the reference log-probs from the examples (each must carry them)
   */
  static Forward forward(List<DpoExample> pairs, boolean cachedReference) {
    int b = pairs.size();
    List<int[]> sequences = new ArrayList<>(2 * b);
    pairs.forEach(e -> sequences.add(e.sequence(true)));
    pairs.forEach(e -> sequences.add(e.sequence(false)));
    PaddedRows rows = PaddedRows.of(sequences);
    int t = rows.length();
    float[] mask = new float[2 * b * (t - 1)];
    float[] nc = new float[b];
    float[] nr = new float[b];
    float[] rc = cachedReference ? new float[b] : null;
    float[] rr = cachedReference ? new float[b] : null;
    for (int row = 0; row < 2 * b; row++) {
      int promptLength = pairs.get(row % b).promptIds().length;
      for (int k = promptLength; k < sequences.get(row).length; k++) {
        mask[row * (t - 1) + k - 1] = 1f;
      }
    }
    for (int i = 0; i < b; i++) {
      DpoExample e = pairs.get(i);
      nc[i] = e.chosenIds().length;
      nr[i] = e.rejectedIds().length;
      if (cachedReference) {
        if (!e.hasReference()) {
          throw new IllegalStateException("no reference model and no cached reference log-probs for a pair");
        }
        rc[i] = (float) e.refChosenLogp();
        rr[i] = (float) e.refRejectedLogp();
      }
    }
    return new Forward(rows, mask, nc, nr, rc, rr);
  }

  @Override
  public long lossUnits(Batch batch) {
    return batch.pairs();
  }

  @Override
  public long tokens(Batch batch) {
    return batch.tokens();
  }

  /**
   * Summed completion log-probs {@code [2P]} of {@code model} over a forward's rows, computed without a graph,
   * {@code chunk} tokens per vocabulary projection.
   */
  static NDArray sequenceLogps(LlamaModel model, Forward f, int chunk) {
    boolean grad = JniUtils.isGradMode();
    JniUtils.setGradMode(false);
    try {
      DecoderGraph decoder = DecoderGraph.forward(model, f.rows(), false);
      return maskedSum(FusedHead.nextTokenLogProbsNoGrad(model, decoder.hidden(), decoder.ids(), chunk), f);
    } finally {
      JniUtils.setGradMode(grad);
    }
  }

  /** The single-pass loss: every forward's whole graph, vocabulary-sized log-softmax included, lives to backward. */
  @Override
  public LossOutput loss(Map<String, NDArray> params, Batch b, StepContext context) {
    NDArray sum = null;
    Map<String, Double> metrics = new LinkedHashMap<>();
    for (Forward f : b.forwards()) {
      DecoderGraph decoder = DecoderGraph.forward(policy, f.rows(), false);
      NDArray hidden = decoder.hidden();
      NDArray logps = maskedSum(CausalLm.nextTokenLogProbs(policy, hidden, decoder.ids(), chunk), f);
      DpoLoss.Output share = share(logps, f, b);
      sum = sum == null ? share.loss() : sum.add(share.loss());
      share.metrics().forEach((k, v) -> metrics.merge(k, v, Double::sum));
      logitMetrics(FusedHead.meanLogitsNoGrad(policy, hidden, decoder.ids(), chunk), f, b)
          .forEach((k, v) -> metrics.merge(k, v, Double::sum));
    }
    return new LossOutput(Scalars.mul(sum, b.pairs()), metrics);
  }

  /**
   * The training path: the same loss and gradients as {@link #loss}, one forward at a time, each with its LM head run
   * through {@link FusedHead} so only one chunk of {@code chunk} tokens has vocabulary-sized tensors at a time.
   */
  @Override
  public ScaledLoss lossAndBackward(Map<String, NDArray> params, Batch b, StepContext context, long stepUnits,
      GradientCollector gc) {
    double value = 0;
    Map<String, Double> metrics = new LinkedHashMap<>();
    for (Forward f : b.forwards()) {
      try (NDScope scope = new NDScope()) {
        scope.suppressNotUsedWarning();
        DecoderGraph decoder = DecoderGraph.forward(policy, f.rows(), context);
        FusedHead head = FusedHead.forward(policy, decoder.hidden(), decoder.ids(), chunk, true);
        DpoLoss.Output share = share(maskedSum(head.tokenLogProbs(), f), f, b);
        NDArray scaled = Scalars.mul(share.loss(), (double) b.pairs() / stepUnits);
        gc.backward(scaled);
        head.backward(gc);
        decoder.backward(gc);
        value += scaled.getFloat();
        share.metrics().forEach((k, v) -> metrics.merge(k, v, Double::sum));
        logitMetrics(head.meanLogits(), f, b).forEach((k, v) -> metrics.merge(k, v, Double::sum));
      }
    }
    return new ScaledLoss(value, metrics);
  }

  /**
   * The evaluation path: the training path's forwards and metrics (TRL's {@code rewards/*}, {@code logps/*},
   * {@code logits/*}) without backward; the trainer turns autograd off.
   */
  @Override
  public LossOutput evalLoss(Map<String, NDArray> params, Batch b, StepContext context) {
    double mean = 0;
    Map<String, Double> metrics = new LinkedHashMap<>();
    for (Forward f : b.forwards()) {
      try (NDScope scope = new NDScope()) {
        scope.suppressNotUsedWarning();
        DecoderGraph decoder = DecoderGraph.forward(policy, f.rows(), context);
        FusedHead head = FusedHead.forward(policy, decoder.hidden(), decoder.ids(), chunk, true);
        DpoLoss.Output share = share(maskedSum(head.tokenLogProbs(), f), f, b);
        mean += share.loss().getFloat();
        share.metrics().forEach((k, v) -> metrics.merge(k, v, Double::sum));
        logitMetrics(head.meanLogits(), f, b).forEach((k, v) -> metrics.merge(k, v, Double::sum));
      }
    }
    NDManager m = policy.parameters().values().iterator().next().getManager();
    return new LossOutput(m.create((float) (mean * b.pairs())), metrics);
  }

  /** A forward's share of the micro-batch loss (a batch mean) and metrics, from its policy log-probs {@code [2P]}. */
  private DpoLoss.Output share(NDArray logps, Forward f, Batch b) {
    NDManager m = logps.getManager();
    int n = f.pairs();
    NDArray refChosen;
    NDArray refRejected;
    if (reference != null) {
      NDArray ref = sequenceLogps(reference, f, chunk);
      refChosen = ref.get(new NDIndex("0:{}", n));
      refRejected = ref.get(new NDIndex("{}:", n));
    } else {
      refChosen = m.create(f.refChosen());
      refRejected = m.create(f.refRejected());
    }
    return loss.computeShare(new DpoLoss.Batch(logps.get(new NDIndex("0:{}", n)),
        logps.get(new NDIndex("{}:", n)), refChosen, refRejected, m.create(f.chosenTokens()),
        m.create(f.rejectedTokens())), b.pairs(), b.chosenTokens());
  }

  /**
   * A forward's share of TRL's {@code logits/chosen} and {@code logits/rejected}: the vocabulary-mean logit summed
   * over the completion positions of its chosen (rejected) rows, divided by the micro-batch's count of such positions.
   */
  private static Map<String, Double> logitMetrics(float[] meanLogits, Forward f, Batch b) {
    float[] mask = f.completionMask();
    int half = mask.length / 2;
    double chosen = 0;
    double rejected = 0;
    for (int i = 0; i < mask.length; i++) {
      if (i < half) {
        chosen += mask[i] * meanLogits[i];
      } else {
        rejected += mask[i] * meanLogits[i];
      }
    }
    Map<String, Double> m = new LinkedHashMap<>();
    m.put("logits/chosen", chosen / b.chosenTokens());
    m.put("logits/rejected", rejected / b.rejectedTokens());
    return m;
  }

  private static NDArray maskedSum(NDArray tokenLogps, Forward f) {
    PaddedRows rows = f.rows();
    NDArray mask = tokenLogps.getManager().create(f.completionMask(), new Shape(rows.rows(), rows.length() - 1));
    return tokenLogps.mul(mask).sum(new int[] {1});
  }

  /** The policy model. */
  public LlamaModel policy() {
    return policy;
  }
}
