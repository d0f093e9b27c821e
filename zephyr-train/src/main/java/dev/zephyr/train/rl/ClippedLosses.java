package dev.zephyr.train.rl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import dev.zephyr.train.loop.Scalars;

/**
 * The clipped surrogate losses of PPO and RLOO as TRL computes them, on NDArrays so that they are differentiable in
 * the new log-probs and values. Masks are float arrays of 0 and 1 with the shape of the per-token tensors; the
 * statistics are means over the masked-in entries. Number operands go through {@link Scalars}, which keeps them alive
 * for backward.
 */
public final class ClippedLosses {
  /**
   * Log-ratios are capped here before {@code exp}: beyond about 88 a float ratio is infinite, and the branch the
   * maximum drops would then back-propagate {@code 0 * inf = NaN}. A ratio of e^40 is far outside any clip range, so
   * the cap changes no loss that a finite float could hold.
   */
  static final float MAX_LOG_RATIO = 40f;

  private ClippedLosses() {}

  /**
   * A policy loss and its statistics.
   *
   * @param loss scalar, differentiable
   * @param clipFraction share of entries where the clipped term was the larger ({@code policy/clipfrac})
   * @param approxKl {@code 0.5 * mean((new - old)^2)} of the log-prob differences ({@code policy/approxkl})
   * @param ratio mean per-token probability ratio {@code exp(new - old)} ({@code val/ratio})
   */
  public record PolicyLoss(NDArray loss, double clipFraction, double approxKl, double ratio) {}

  /**
   * A value loss and its statistics.
   *
   * @param loss scalar, differentiable
   * @param clipFraction share of entries where the clipped prediction's error was the larger ({@code val/clipfrac})
   */
  public record ValueLoss(NDArray loss, double clipFraction) {}

  /**
   * PPO's per-token policy loss: {@code max(-A * ratio, -A * clip(ratio, 1 - c, 1 + c))} averaged over the response
   * tokens, {@code ratio = exp(newLogprobs - oldLogprobs)}.
   */
  public static PolicyLoss tokenPolicy(NDArray newLogprobs, NDArray oldLogprobs, NDArray advantages, NDArray mask,
      double cliprange) {
    NDArray diff = newLogprobs.sub(oldLogprobs);
    NDArray ratio = Scalars.minimum(diff, MAX_LOG_RATIO).exp();
    NDArray unclipped = advantages.neg().mul(ratio);
    NDArray clipped = advantages.neg().mul(ratio.clip((float) (1 - cliprange), (float) (1 + cliprange)));
    NDArray loss = maskedMean(unclipped.maximum(clipped), mask);
    return new PolicyLoss(loss, maskedValue(clipped.gt(unclipped).toType(DataType.FLOAT32, false), mask),
        0.5 * maskedValue(diff.square(), mask), maskedValue(ratio, mask));
  }

  /**
   * RLOO's sequence-level policy loss: the ratio is that of whole responses, {@code exp(sum new - sum old)} over the
   * response tokens, clipped as in PPO and averaged over the rows. {@code advantages} has one entry per row.
   */
  public static PolicyLoss sequencePolicy(NDArray newLogprobs, NDArray oldLogprobs, NDArray advantages, NDArray mask,
      double cliprange) {
    NDArray tokenDiff = newLogprobs.sub(oldLogprobs).mul(mask);
    NDArray diff = tokenDiff.sum(new int[] {1});
    NDArray ratio = Scalars.minimum(diff, MAX_LOG_RATIO).exp();
    NDArray unclipped = advantages.neg().mul(ratio);
    NDArray clipped = advantages.neg().mul(ratio.clip((float) (1 - cliprange), (float) (1 + cliprange)));
    NDArray loss = unclipped.maximum(clipped).mean();
    return new PolicyLoss(loss, clipped.gt(unclipped).toType(DataType.FLOAT32, false).mean().getFloat(),
        0.5 * diff.square().mean().getFloat(), maskedValue(Scalars.minimum(tokenDiff, MAX_LOG_RATIO).exp(), mask));
  }

  /**
   * PPO's clipped value loss: {@code 0.5 * mean(max((V - R)^2, (clip(V, V_old - c, V_old + c) - R)^2))} over the
   * masked positions, {@code R} the returns.
   */
  public static ValueLoss value(NDArray predicted, NDArray oldValues, NDArray returns, NDArray mask,
      double cliprangeValue) {
    NDArray clippedPrediction = predicted.maximum(oldValues.sub((float) cliprangeValue))
        .minimum(oldValues.add((float) cliprangeValue));
    NDArray unclipped = predicted.sub(returns).square();
    NDArray clipped = clippedPrediction.sub(returns).square();
    NDArray loss = Scalars.mul(maskedMean(unclipped.maximum(clipped), mask), 0.5);
    return new ValueLoss(loss, maskedValue(clipped.gt(unclipped).toType(DataType.FLOAT32, false), mask));
  }

  /** {@code sum(x * mask) / sum(mask)}, differentiable in {@code x}. */
  public static NDArray maskedMean(NDArray x, NDArray mask) {
    return x.mul(mask).sum().div(mask.sum());
  }

  private static double maskedValue(NDArray x, NDArray mask) {
    return maskedMean(x, mask).getFloat();
  }
}
