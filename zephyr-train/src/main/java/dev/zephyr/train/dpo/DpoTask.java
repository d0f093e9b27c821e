package dev.zephyr.train.dpo;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import dev.zephyr.core.model.LlamaModel;
import dev.zephyr.train.loop.CausalLm;
import dev.zephyr.train.loop.StepContext;
import dev.zephyr.train.loop.TrainingTask;
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
    this(policy, reference, loss, 128);
  }

  public DpoTask(LlamaModel policy, LlamaModel reference, DpoLoss loss, int chunk) {
    this.policy = policy;
    this.reference = reference;
    this.loss = loss;
    this.chunk = chunk;
  }

  @Override
  public Batch collate(List<DpoExample> pairs) {
    int b = pairs.size();
    int t = 0;
    for (DpoExample e : pairs) {
      t = Math.max(t, e.promptIds().length + Math.max(e.chosenIds().length, e.rejectedIds().length));
    }
    long[] ids = new long[2 * b * t];
    long[] pos = new long[2 * b * t];
    int[][] doc = new int[2 * b][t];
    float[] mask = new float[2 * b * (t - 1)];
    float[] nc = new float[b];
    float[] nr = new float[b];
    float[] rc = reference == null ? new float[b] : null;
    float[] rr = reference == null ? new float[b] : null;
    long tokens = 0;
    for (int half = 0; half < 2; half++) {
      for (int i = 0; i < b; i++) {
        DpoExample e = pairs.get(i);
        int row = half * b + i;
        int[] seq = e.sequence(half == 0);
        java.util.Arrays.fill(doc[row], -1);
        for (int k = 0; k < seq.length; k++) {
          ids[row * t + k] = seq[k];
          pos[row * t + k] = k;
          doc[row][k] = 0;
        }
        for (int k = e.promptIds().length; k < seq.length; k++) {
          mask[row * (t - 1) + k - 1] = 1f;
        }
        tokens += seq.length;
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
    return new Batch(b, t, ids, pos, doc, mask, nc, nr, rc, rr, tokens);
  }

  @Override
  public long lossUnits(Batch batch) {
    return batch.pairs();
  }

  @Override
  public long tokens(Batch batch) {
    return batch.tokens();
  }

  /** Summed completion log-probs {@code [2B]} of {@code model} over the batch's rows. */
  NDArray sequenceLogps(LlamaModel model, Batch b) {
    NDManager m = model.parameters().values().iterator().next().getManager();
    NDArray ids = m.create(b.ids(), new Shape(2L * b.pairs(), b.length()));
    NDArray pos = m.create(b.positions(), new Shape(2L * b.pairs(), b.length()));
    NDArray bias = CausalLm.attentionBias(m, b.docIds());
    NDArray hidden = model.hidden(ids, pos, bias);
    NDArray lp = CausalLm.nextTokenLogProbs(model, hidden, ids, chunk);
    NDArray mask = m.create(b.completionMask(), new Shape(2L * b.pairs(), b.length() - 1));
    return lp.mul(mask).sum(new int[] {1});
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

  @Override
  public LossOutput loss(Map<String, NDArray> params, Batch b, StepContext context) {
    NDArray logps = sequenceLogps(policy, b);
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

  /** The policy model. */
  public LlamaModel policy() {
    return policy;
  }
}
