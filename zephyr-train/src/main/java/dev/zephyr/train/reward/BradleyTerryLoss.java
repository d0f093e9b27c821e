package dev.zephyr.train.reward;

import ai.djl.ndarray.NDArray;
import dev.zephyr.train.loop.Scalars;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The reward-model loss of TRL's RewardTrainer: Bradley-Terry {@code -log sigmoid(r+ - r- - margin)} averaged over
 * pairs, plus {@code center_rewards_coefficient * mean((r+ + r-)^2)} when a coefficient is set (Eisenstein et al.
 * recommend 0.01), which keeps rewards centred on zero.
 *
 * @param centerRewardsCoefficient 0 (TRL's None) disables centring
 */
public record BradleyTerryLoss(double centerRewardsCoefficient) {

  public BradleyTerryLoss {
    if (!(centerRewardsCoefficient >= 0)) {
      throw new IllegalArgumentException("center_rewards_coefficient must be >= 0");
    }
  }

  /** Loss (scalar) and metrics ({@code accuracy}, {@code margin}, {@code min_reward}, {@code mean_reward}, {@code max_reward}). */
  public record Output(NDArray loss, Map<String, Double> metrics) {}

  /**
   * @param chosen rewards of the preferred responses, [B]
   * @param rejected rewards of the other responses, [B]
   * @param margin per-pair margins [B], or null (TRL's optional {@code margin} column)
   */
  public Output compute(NDArray chosen, NDArray rejected, NDArray margin) {
    NDArray diff = chosen.sub(rejected);
    NDArray z = margin == null ? diff : diff.sub(margin);
    NDArray loss = Scalars.minimum(z, 0).sub(z.abs().neg().exp().add(1).log()).neg().mean();
    if (centerRewardsCoefficient > 0) {
      loss = loss.add(Scalars.mul(chosen.add(rejected).square().mean(), centerRewardsCoefficient));
    }
    float[] c = chosen.toFloatArray();
    float[] r = rejected.toFloatArray();
    double acc = 0;
    double marginSum = 0;
    double min = Double.POSITIVE_INFINITY;
    double max = Double.NEGATIVE_INFINITY;
    double sum = 0;
    for (int i = 0; i < c.length; i++) {
      acc += c[i] > r[i] ? 1 : 0;
      marginSum += c[i] - r[i];
      min = Math.min(min, Math.min(c[i], r[i]));
      max = Math.max(max, Math.max(c[i], r[i]));
      sum += c[i] + r[i];
    }
    Map<String, Double> m = new LinkedHashMap<>();
    m.put("accuracy", acc / c.length);
    m.put("margin", marginSum / c.length);
    m.put("min_reward", min);
    m.put("mean_reward", sum / (2.0 * c.length));
    m.put("max_reward", max);
    return new Output(loss, m);
  }
}
