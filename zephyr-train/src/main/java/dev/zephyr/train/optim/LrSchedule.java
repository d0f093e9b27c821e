package dev.zephyr.train.optim;

/**
 * A learning-rate schedule with the formulas of transformers' {@code get_scheduler}. {@link #lr(long)} takes the
 * number of optimizer steps already taken, so the first update uses {@code lr(0)}: with warm-up that is 0, exactly as a
 * Hugging Face {@code LambdaLR} run starts.
 *
 * @param type schedule shape
 * @param baseLr peak learning rate
 * @param warmupSteps linear warm-up length in steps
 * @param totalSteps number of optimizer steps of the whole run (decay reaches 0 there)
 */
public record LrSchedule(SchedulerType type, double baseLr, long warmupSteps, long totalSteps) {

  public LrSchedule {
    if (warmupSteps < 0 || totalSteps < 0) {
      throw new IllegalArgumentException("warmup and total steps must be >= 0");
    }
  }

  /**
   * Warm-up steps the way transformers derives them: {@code warmup_steps} when positive, else
   * {@code ceil(total * warmup_ratio)}.
   */
  public static long warmupSteps(long totalSteps, long warmupSteps, double warmupRatio) {
    if (warmupSteps > 0) {
      return warmupSteps;
    }
    if (warmupRatio < 0 || warmupRatio > 1) {
      throw new IllegalArgumentException("warmup_ratio must be in [0, 1], got " + warmupRatio);
    }
    return (long) Math.ceil(totalSteps * warmupRatio);
  }

  /** The multiplier of {@link #baseLr} after {@code step} optimizer steps. */
  public double factor(long step) {
    if (type != SchedulerType.CONSTANT && step < warmupSteps) {
      return (double) step / Math.max(1, warmupSteps);
    }
    return switch (type) {
      case CONSTANT, CONSTANT_WITH_WARMUP -> 1.0;
      case LINEAR -> Math.max(0.0, (double) (totalSteps - step) / Math.max(1, totalSteps - warmupSteps));
      case COSINE -> {
        double progress = (double) (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps);
        // num_cycles = 0.5: half a cosine from 1 down to 0.
        yield Math.max(0.0, 0.5 * (1.0 + Math.cos(Math.PI * 2.0 * 0.5 * progress)));
      }
    };
  }

  /** The learning rate of the update that follows {@code step} completed steps. */
  public double lr(long step) {
    return baseLr * factor(step);
  }
}
