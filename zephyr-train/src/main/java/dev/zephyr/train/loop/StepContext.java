package dev.zephyr.train.loop;

import java.util.SplittableRandom;

/**
 * Where the run is when a loss is computed. The random generator is counter based (seeded from the run seed and the
 * global step), so a resumed run draws the same numbers as an uninterrupted one without saving generator internals.
 *
 * @param globalStep optimizer steps completed before this one
 * @param microBatch index of the micro-batch within the step
 * @param random generator for this micro-batch
 * @param gradientCheckpointing recompute decoder activations during backward instead of keeping them
 *     ({@link TrainingArguments#gradientCheckpointing()}; see {@link DecoderGraph})
 */
public record StepContext(long globalStep, int microBatch, SplittableRandom random, boolean gradientCheckpointing) {

  /** The generator of micro-batch {@code micro} of step {@code step} in a run seeded with {@code seed}. */
  public static StepContext of(long seed, long step, int micro) {
    long mixed = seed * 0x9E3779B97F4A7C15L + step * 0xBF58476D1CE4E5B9L + micro;
    return new StepContext(step, micro, new SplittableRandom(mixed), false);
  }

  /** This context with activation checkpointing on or off. */
  public StepContext withGradientCheckpointing(boolean on) {
    return new StepContext(globalStep, microBatch, random, on);
  }
}
