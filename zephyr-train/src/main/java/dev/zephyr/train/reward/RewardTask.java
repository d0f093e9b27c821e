package dev.zephyr.train.reward;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.zephyr.train.loop.StepContext;
import dev.zephyr.train.loop.TrainingTask;
import java.util.List;
import java.util.Map;

/**
 * Reward-model training (ALMoST step 1, TRL's RewardTrainer): one forward over [chosen; rejected], rewards at the last
 * token, Bradley-Terry loss with optional per-pair margins and reward centring. The loss unit is the pair.
 */
public final class RewardTask implements TrainingTask<RewardTask.Pair, RewardTask.Batch> {
  /** A tokenized comparison: full sequences (prompt + response) and an optional margin (0 when absent). */
  public record Pair(int[] chosenIds, int[] rejectedIds, double margin) {}

  public record Batch(int pairs, int length, long[] ids, long[] positions, int[][] docIds, int[] lengths,
      float[] margins, long tokens) {}

  private final RewardModel model;
  private final BradleyTerryLoss loss;

  public RewardTask(RewardModel model, BradleyTerryLoss loss) {
    this.model = model;
    this.loss = loss;
  }

  @Override
  public Batch collate(List<Pair> pairs) {
    int b = pairs.size();
    int t = 0;
    for (Pair p : pairs) {
      t = Math.max(t, Math.max(p.chosenIds().length, p.rejectedIds().length));
    }
    long[] ids = new long[2 * b * t];
    long[] pos = new long[2 * b * t];
    int[][] doc = new int[2 * b][t];
    int[] len = new int[2 * b];
    float[] margins = new float[b];
    long tokens = 0;
    for (int half = 0; half < 2; half++) {
      for (int i = 0; i < b; i++) {
        int[] seq = half == 0 ? pairs.get(i).chosenIds() : pairs.get(i).rejectedIds();
        int row = half * b + i;
        java.util.Arrays.fill(doc[row], -1);
        for (int k = 0; k < seq.length; k++) {
          ids[row * t + k] = seq[k];
          pos[row * t + k] = k;
          doc[row][k] = 0;
        }
        len[row] = seq.length;
        tokens += seq.length;
      }
    }
    for (int i = 0; i < b; i++) {
      margins[i] = (float) pairs.get(i).margin();
    }
    return new Batch(b, t, ids, pos, doc, len, margins, tokens);
  }

  @Override
  public long lossUnits(Batch batch) {
    return batch.pairs();
  }

  @Override
  public long tokens(Batch batch) {
    return batch.tokens();
  }

  /** Rewards {@code [2B]}: chosen rows first. */
  public NDArray rewards(Batch b) {
    NDManager m = model.parameters().get(RewardModel.SCORE).getManager();
    NDArray ids = m.create(b.ids(), new Shape(2L * b.pairs(), b.length()));
    NDArray pos = m.create(b.positions(), new Shape(2L * b.pairs(), b.length()));
    return model.rewards(ids, pos, b.docIds(), b.lengths());
  }

  @Override
  public LossOutput loss(Map<String, NDArray> params, Batch b, StepContext context) {
    NDArray r = rewards(b);
    int n = b.pairs();
    NDArray margin = r.getManager().create(b.margins());
    BradleyTerryLoss.Output out = loss.compute(r.get(RewardModel.range(0, n)), r.get(RewardModel.range(n, 2 * n)),
        margin);
    return new LossOutput(out.loss().mul((float) n), out.metrics());
  }
}
