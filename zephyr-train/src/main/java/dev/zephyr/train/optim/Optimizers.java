package dev.zephyr.train.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Map;
import java.util.function.Predicate;

/** Builds the optimizer an {@code optim} name selects, with Hugging Face Trainer's parameter groups. */
public final class Optimizers {
  /**
   * Hugging Face Trainer's second parameter group, which gets no weight decay: biases and normalisation weights.
   */
  public static final Predicate<String> BIAS_OR_NORM = name -> name.endsWith("bias") || name.contains("norm");

  private Optimizers() {}

  /**
   * The optimizer for {@code name}, its state (zeros) in {@code stateManager}. AdamW takes the {@code adam_*} values;
   * RMSprop and Adafactor ignore them, as transformers does. Weight decay applies to every parameter except biases and
   * norm weights.
   *
   * @param weightDecay {@code weight_decay}
   * @param adamBeta1 {@code adam_beta1}
   * @param adamBeta2 {@code adam_beta2}
   * @param adamEpsilon {@code adam_epsilon}
   */
  public static Optimizer create(OptimizerName name, Map<String, NDArray> params, NDManager stateManager,
      double weightDecay, double adamBeta1, double adamBeta2, double adamEpsilon) {
    return switch (name.algorithm()) {
      case ADAMW -> AdamW.builder().name(name).betas(adamBeta1, adamBeta2).eps(adamEpsilon).weightDecay(weightDecay)
          .noDecayForBiasAndNorm().build(params, stateManager);
      case RMSPROP -> new RmsProp(params, stateManager, weightDecay, BIAS_OR_NORM, Slices.DEFAULT_ELEMENTS);
      case ADAFACTOR -> new Adafactor(params, stateManager, weightDecay, BIAS_OR_NORM);
    };
  }
}
