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
import dev.zephyr.train.loop.FusedHead;
import dev.zephyr.train.loop.PaddedRows;
import dev.zephyr.train.loop.StepContext;
import dev.zephyr.train.loop.TrainingTask;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * DPO on a {@link LlamaModel}, as TRL's DPOTrainer computes it: one forward over the concatenated
 * {@code [chosen; rejected]} batch (2B right-padded rows), completion log-probs summed per sequence, and the reference
 * either from a frozen model (a no-grad forward each step) or from log-probs cached in the examples
 * ({@link ReferenceLogps}). The loss unit is the pair; the trainer averages over the pairs of an optimizer step.
 */
public final class DpoTask implements TrainingTask<DpoExample, DpoTask.Batch> {
  private final LlamaModel policy;
  private final LlamaModel reference;
  private final DpoLoss loss;
  private final int chunk;
  private final int rowsPerBackward;

  /**
   * @param ids [2B*T] rows: chosen rows first, then rejected rows
   * @param docIds [2B][T] 0 on tokens, -1 on padding
   * @param completionMask [2B*(T-1)] 1 where target t+1 is a completion token
   * @param refChosen cached reference log-probs (null when a reference model runs)
   */
  public record Batch(int pairs, int length, long[] ids, long[] positions, int[][] docIds, float[] completionMask,
      float[] chosenTokens, float[] rejectedTokens, float[] refChosen, float[] refRejected, long tokens) {}

  /**
   * @param reference frozen reference model, or null when every example carries cached reference log-probs
   */
  public DpoTask(LlamaModel policy, LlamaModel reference, DpoLoss loss) {
    this(policy, reference, loss, 512);
  }

  /**
   * @param chunk vocabulary projection chunk: tokens (over all rows) in training ({@link #lossAndBackward}) and
   *     without a graph; positions per row in the single-pass {@link #loss}
   */
  public DpoTask(LlamaModel policy, LlamaModel reference, DpoLoss loss, int chunk) {
    this(policy, reference, loss, chunk, 0);
  }

  /**
   * @param rowsPerBackward 0: one decoder forward with a graph over all 2B rows; n > 0: the log-probs of all rows come
   *     from a forward without a graph, then the decoder is run again with a graph on n rows at a time and
   *     back-propagated with the per-sequence loss gradients (the pair couples its rows only through their summed
   *     log-probs). Same gradients; one more decoder forward per step; activation memory of n rows instead of 2B.
   */
  public DpoTask(LlamaModel policy, LlamaModel reference, DpoLoss loss, int chunk, int rowsPerBackward) {
    if (rowsPerBackward < 0) {
      throw new IllegalArgumentException("rowsPerBackward must be >= 0, got " + rowsPerBackward);
    }
    this.policy = policy;
    this.reference = reference;
    this.loss = loss;
    this.chunk = chunk;
    this.rowsPerBackward = rowsPerBackward;
  }

  @Override
  public Batch collate(List<DpoExample> pairs) {
    int b = pairs.size();
    List<int[]> sequences = new ArrayList<>(2 * b);
    pairs.forEach(e -> sequences.add(e.sequence(true)));
    pairs.forEach(e -> sequences.add(e.sequence(false)));
    PaddedRows rows = PaddedRows.of(sequences);
    int t = rows.length();
    float[] mask = new float[2 * b * (t - 1)];
    float[] nc = new float[b];
    float[] nr = new float[b];
    float[] rc = reference == null ? new float[b] : null;
    float[] rr = reference == null ? new float[b] : null;
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
      if (reference == null) {
        if (!e.hasReference()) {
          throw new IllegalStateException("no reference model and no cached reference log-probs for a pair");
        }
        rc[i] = (float) e.refChosenLogp();
        rr[i] = (float) e.refRejectedLogp();
      }
    }
    return new Batch(b, t, rows.ids(), rows.positions(), rows.docIds(), mask, nc, nr, rc, rr, rows.tokens());
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
   * Summed completion log-probs {@code [2B]} of {@code model} over the batch's rows: differentiable (single-pass
   * graph) when grad mode is on, otherwise computed without a graph, one vocabulary chunk at a time.
   */
  NDArray sequenceLogps(LlamaModel model, Batch b) {
    NDManager m = manager(model);
    NDArray ids = ids(m, b);
    NDArray hidden = model.hidden(ids, positions(m, b), CausalLm.attentionBias(m, b.docIds()));
    NDArray lp = JniUtils.isGradMode() ? CausalLm.nextTokenLogProbs(model, hidden, ids, chunk)
        : FusedHead.nextTokenLogProbsNoGrad(model, hidden, ids, chunk);
    return maskedSum(m, lp, b);
  }

  /** Reference log-probs {@code [2B]} without building a graph. */
  NDArray referenceLogps(Batch b) {
    boolean grad = JniUtils.isGradMode();
    JniUtils.setGradMode(false);
    try {
      return sequenceLogps(reference, b);
    } finally {
      JniUtils.setGradMode(grad);
    }
  }

  /** The single-pass loss: the whole graph, every chunk's vocabulary-sized log-softmax included, lives to backward. */
  @Override
  public LossOutput loss(Map<String, NDArray> params, Batch b, StepContext context) {
    return lossOf(sequenceLogps(policy, b), b);
  }

  /**
   * The training path: the same loss and gradients as {@link #loss}, with the LM head run through {@link FusedHead}
   * so only one chunk of {@code chunk} tokens has vocabulary-sized tensors at a time.
   */
  @Override
  public ScaledLoss lossAndBackward(Map<String, NDArray> params, Batch b, StepContext context, long stepUnits,
      GradientCollector gc) {
    if (rowsPerBackward > 0) {
      return lossAndBackwardByRows(b, stepUnits, gc);
    }
    NDManager m = manager(policy);
    NDArray ids = ids(m, b);
    NDArray hidden = policy.hidden(ids, positions(m, b), CausalLm.attentionBias(m, b.docIds()));
    FusedHead head = FusedHead.forward(policy, hidden, ids, chunk);
    LossOutput out = lossOf(maskedSum(m, head.tokenLogProbs(), b), b);
    NDArray scaled = out.lossSum().div(stepUnits);
    gc.backward(scaled);
    head.backward(gc);
    return new ScaledLoss(scaled.getFloat(), out.metrics());
  }

  /** {@link #lossAndBackward} with the decoder graph built {@code rowsPerBackward} rows at a time. */
  private ScaledLoss lossAndBackwardByRows(Batch b, long stepUnits, GradientCollector gc) {
    NDManager m = manager(policy);
    NDArray ids = ids(m, b);
    NDArray pos = positions(m, b);
    NDArray bias = CausalLm.attentionBias(m, b.docIds());
    NDArray tokenLogps;
    boolean grad = JniUtils.isGradMode();
    JniUtils.setGradMode(false);
    try {
      NDArray hidden = policy.hidden(ids, pos, bias);
      tokenLogps = FusedHead.nextTokenLogProbsNoGrad(policy, hidden, ids, chunk);
      hidden.close();
    } finally {
      JniUtils.setGradMode(grad);
    }
    tokenLogps.setRequiresGradient(true);
    LossOutput out = lossOf(maskedSum(m, tokenLogps, b), b);
    NDArray scaled = out.lossSum().div(stepUnits);
    gc.backward(scaled);
    // d loss / d token log-prob: the sequence's weight on its completion tokens, 0 elsewhere
    NDArray tokenWeights = tokenLogps.getGradient();
    long rows = 2L * b.pairs();
    for (long start = 0; start < rows; start += rowsPerBackward) {
      long end = Math.min(rows, start + rowsPerBackward);
      try (NDScope scope = new NDScope()) {
        scope.suppressNotUsedWarning();
        NDIndex r = new NDIndex("{}:{}", start, end);
        NDArray idsPart = ids.get(r);
        NDArray hidden = policy.hidden(idsPart, pos.get(r), bias.get(r));
        FusedHead.backward(policy, hidden, idsPart, tokenWeights.get(r), chunk, gc);
      }
    }
    return new ScaledLoss(scaled.getFloat(), out.metrics());
  }

  private LossOutput lossOf(NDArray logps, Batch b) {
    NDManager m = logps.getManager();
    int n = b.pairs();
    NDArray refChosen;
    NDArray refRejected;
    if (reference != null) {
      NDArray ref = referenceLogps(b);
      refChosen = ref.get(new NDIndex("0:{}", n));
      refRejected = ref.get(new NDIndex("{}:", n));
    } else {
      refChosen = m.create(b.refChosen());
      refRejected = m.create(b.refRejected());
    }
    DpoLoss.Output out = loss.compute(new DpoLoss.Batch(logps.get(new NDIndex("0:{}", n)),
        logps.get(new NDIndex("{}:", n)), refChosen, refRejected, m.create(b.chosenTokens()),
        m.create(b.rejectedTokens())));
    Map<String, Double> metrics = new LinkedHashMap<>(out.metrics());
    return new LossOutput(out.loss().mul((float) n), metrics);
  }

  private static NDManager manager(LlamaModel model) {
    return model.parameters().values().iterator().next().getManager();
  }

  private static NDArray ids(NDManager m, Batch b) {
    return m.create(b.ids(), new Shape(2L * b.pairs(), b.length()));
  }

  private static NDArray positions(NDManager m, Batch b) {
    return m.create(b.positions(), new Shape(2L * b.pairs(), b.length()));
  }

  private static NDArray maskedSum(NDManager m, NDArray tokenLogps, Batch b) {
    NDArray mask = m.create(b.completionMask(), new Shape(2L * b.pairs(), b.length() - 1));
    return tokenLogps.mul(mask).sum(new int[] {1});
  }

  /** The policy model. */
  public LlamaModel policy() {
    return policy;
  }
}
