package dev.zephyr.train.reward;

import ai.djl.ndarray.NDArray;
import ai.djl.training.GradientCollector;
import dev.zephyr.train.loop.DecoderGraph;
import dev.zephyr.train.loop.PaddedRows;
import dev.zephyr.train.loop.Scalars;
import dev.zephyr.train.loop.StepContext;
import dev.zephyr.train.loop.TrainingTask;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Reward-model training (ALMoST step 1, TRL's RewardTrainer): one forward over [chosen; rejected], rewards at the last
 * token, Bradley-Terry loss with optional per-pair margins and reward centring. The loss unit is the pair.
 */
public final class RewardTask implements TrainingTask<RewardTask.Pair, RewardTask.Batch> {
  /** A tokenized comparison: full sequences (prompt + response) and an optional margin (0 when absent). */
  public record Pair(int[] chosenIds, int[] rejectedIds, double margin) {}

  /**
   * @param rows the decoder input: chosen rows first, then rejected rows
   * @param margins one per pair
   */
  public record Batch(PaddedRows rows, float[] margins) {
    /** Pairs in the batch. */
    public int pairs() {
      return margins.length;
    }
  }

  private final RewardModel model;
  private final BradleyTerryLoss loss;

  public RewardTask(RewardModel model, BradleyTerryLoss loss) {
    this.model = model;
    this.loss = loss;
  }

  @Override
  public Batch collate(List<Pair> pairs) {
    int b = pairs.size();
    List<int[]> sequences = new ArrayList<>(2 * b);
    pairs.forEach(p -> sequences.add(p.chosenIds()));
    pairs.forEach(p -> sequences.add(p.rejectedIds()));
    float[] margins = new float[b];
    for (int i = 0; i < b; i++) {
      margins[i] = (float) pairs.get(i).margin();
    }
    return new Batch(PaddedRows.of(sequences), margins);
  }

  @Override
  public long lossUnits(Batch batch) {
    return batch.pairs();
  }

  @Override
  public long tokens(Batch batch) {
    return batch.rows().tokens();
  }

  /** Rewards {@code [2B]}: chosen rows first. */
  public NDArray rewards(Batch b) {
    return model.rewards(b.rows());
  }

  @Override
  public LossOutput loss(Map<String, NDArray> params, Batch b, StepContext context) {
    return lossOf(rewards(b), b);
  }

  /** The training path: {@link #loss} and its backward, with the decoder run through {@link DecoderGraph}. */
  @Override
  public ScaledLoss lossAndBackward(Map<String, NDArray> params, Batch b, StepContext context, long stepUnits,
      GradientCollector gc) {
    DecoderGraph decoder = DecoderGraph.forward(model.decoder(), b.rows(), context.gradientCheckpointing());
    LossOutput out = lossOf(model.rewardsOf(decoder.hidden(), b.rows().rowLengths()), b);
    NDArray scaled = Scalars.div(out.lossSum(), stepUnits);
    gc.backward(scaled);
    decoder.backward(gc);
    return new ScaledLoss(scaled.getFloat(), out.metrics());
  }

  private LossOutput lossOf(NDArray r, Batch b) {
    int n = b.pairs();
    NDArray margin = r.getManager().create(b.margins());
    BradleyTerryLoss.Output out = loss.compute(r.get(RewardModel.range(0, n)), r.get(RewardModel.range(n, 2 * n)),
        margin);
    return new LossOutput(Scalars.mul(out.loss(), n), out.metrics());
  }
}
