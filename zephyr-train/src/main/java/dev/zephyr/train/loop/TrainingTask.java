package dev.zephyr.train.loop;

import ai.djl.ndarray.NDArray;
import ai.djl.training.GradientCollector;
import java.util.List;
import java.util.Map;

/**
 * What a trainer (SFT, DPO, reward) plugs into the {@link Trainer}: how to turn examples into a micro-batch and how
 * to compute its loss.
 *
 * <p>The loss is returned as a <em>sum</em> over the batch's loss units (loss tokens for token-level losses, pairs for
 * sequence-level ones) together with the unit count; the trainer divides by the number of units in the whole
 * optimizer step. With gradient accumulation this gives exactly the gradient of the large batch (the fix transformers
 * made in PR #34191), instead of a mean of per-micro-batch means.
 *
 * @param <E> example type
 * @param <B> collated micro-batch type (plain Java arrays; NDArrays are made inside {@link #loss})
 */
public interface TrainingTask<E, B> {

  /** Collates examples into a micro-batch (Java-side data; no native memory). */
  B collate(List<E> examples);

  /** Units the loss of {@code batch} is averaged over (loss tokens, or pairs). */
  long lossUnits(B batch);

  /** Input tokens of {@code batch}, for throughput metrics. */
  long tokens(B batch);

  /**
   * The summed loss of {@code batch} (differentiable with respect to {@code params}) and metrics to log. Called
   * inside the step's native-memory scope and, for training, inside the gradient collector.
   */
  LossOutput loss(Map<String, NDArray> params, B batch, StepContext context);

  /**
   * Computes the loss of {@code batch} divided by {@code stepUnits} (the loss units of the whole optimizer step) and
   * accumulates its gradient into the parameters. The default runs {@link #loss} and one backward; tasks may override
   * it with a memory-saving schedule (several backward calls, see {@link FusedHead}) that yields the same gradients.
   *
   * @return the scaled loss value and the metrics of {@link #loss}
   */
  default ScaledLoss lossAndBackward(Map<String, NDArray> params, B batch, StepContext context, long stepUnits,
      GradientCollector gc) {
    LossOutput out = loss(params, batch, context);
    NDArray scaled = Scalars.div(out.lossSum(), stepUnits);
    gc.backward(scaled);
    return new ScaledLoss(scaled.getFloat(), out.metrics());
  }

  /**
   * The summed loss and metrics of {@code batch} for evaluation: the trainer calls it with autograd off (no graph is
   * built) and a {@link StepContext#evaluation} context (no noise). The default is {@link #loss}; tasks override it
   * with a path that keeps less memory alive.
   */
  default LossOutput evalLoss(Map<String, NDArray> params, B batch, StepContext context) {
    return loss(params, batch, context);
  }

  /**
   * A micro-batch's loss after backward.
   *
   * @param value its summed loss divided by the step's loss units
   * @param metrics as in {@link LossOutput}
   */
  record ScaledLoss(double value, Map<String, Double> metrics) {}

  /**
   * Summed loss over a micro-batch.
   *
   * @param lossSum scalar: the sum of per-unit losses
   * @param metrics metric values of this micro-batch (means over its units), TRL names
   */
  record LossOutput(NDArray lossSum, Map<String, Double> metrics) {}
}
