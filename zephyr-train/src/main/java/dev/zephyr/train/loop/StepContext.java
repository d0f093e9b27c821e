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
 * @param neftuneNoiseAlpha NEFTune's alpha for this forward ({@link TrainingArguments#neftuneNoiseAlpha()}); 0 (no
 *     noise) outside training steps
 */
public record StepContext(long globalStep, int microBatch, SplittableRandom random, boolean gradientCheckpointing,
    double neftuneNoiseAlpha) {

  /** The generator of micro-batch {@code micro} of step {@code step} in a run seeded with {@code seed}. */
  public static StepContext of(long seed, long step, int micro) {
    long mixed = seed * 0x9E3779B97F4A7C15L + step * 0xBF58476D1CE4E5B9L + micro;
    return new StepContext(step, micro, new SplittableRandom(mixed), false, 0);
  }

  /**
   * The context of an evaluation forward after {@code step} steps: no noise, no checkpointing, and a generator of its
   * own that shares no draws with the training steps.
   */
  public static StepContext evaluation(long step) {
    return new StepContext(step, 0, new SplittableRandom(~step * 0xD1B54A32D192ED03L), false, 0);
  }

  /** This context with activation checkpointing on or off. */
  public StepContext withGradientCheckpointing(boolean on) {
    return new StepContext(globalStep, microBatch, random, on, neftuneNoiseAlpha);
  }

  /** This context with NEFTune noise of this alpha on the input embeddings (0 = none). */
  public StepContext withNeftune(double alpha) {
    return new StepContext(globalStep, microBatch, random, gradientCheckpointing, alpha);
  }
}
