package dev.zephyr.train.optim;

import ai.djl.ndarray.NDArray;
import java.util.Map;

/**
 * An optimizer that updates named parameters in place from their gradients, one parameter (and, for large ones, one
 * slice) at a time inside its own native-memory scope, so that a step holds at most a few slice-sized temporaries
 * beyond the parameters, their gradients and the optimizer state.
 *
 * <p>The state arrays belong to the manager given when the optimizer was built and live as long as it does.
 */
public interface Optimizer {

  /** The {@code optim} value this optimizer was built for. */
  OptimizerName name();

  /**
   * One update, in place, of every parameter that has a gradient, with learning rate {@code lr}. Allocates only
   * temporaries, each released before the next parameter (or slice) is updated.
   */
  void step(Map<String, NDArray> params, double lr);

  /** Optimizer steps taken so far (torch's {@code state['step']}). */
  long stepCount();

  /**
   * The state to checkpoint: live arrays by tensor name, {@code PARAM.KIND} with torch's state names as kinds
   * ({@code exp_avg}, {@code exp_avg_sq}, {@code square_avg}, {@code exp_avg_sq_row}...). Restoring a checkpoint copies
   * saved tensors into these arrays in place.
   */
  Map<String, NDArray> state();

  /** Sets the step count of a restored state (bias correction and decay schedules depend on it). */
  void restoreStepCount(long steps);
}
