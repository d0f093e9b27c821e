package dev.zephyr.train.loop;

/**
 * What a checkpoint records besides tensors ({@code trainer_state.json}); names follow transformers where it has them.
 *
 * @param globalStep optimizer steps completed
 * @param epoch fractional epoch reached
 * @param maxSteps total steps of the run
 * @param numExamples examples in the training set (a resume against other data is refused)
 * @param stepsPerEpoch optimizer steps per epoch
 * @param optimizerStep the optimizer's step counter (AdamW's bias correction, Adafactor's decay schedule)
 * @param schedulerLastStep the scheduler position ({@code last_epoch} of a torch LambdaLR)
 * @param seed the run seed: data order is a function of (seed, epoch), per-step generators of (seed, step)
 * @param dataEpoch epoch index of the next micro-batch
 * @param dataMicroBatch micro-batch index within that epoch's shuffled order of the next step
 * @param numTokens input tokens seen so far (TRL's {@code num_tokens})
 */
public record TrainerState(
    long globalStep,
    double epoch,
    long maxSteps,
    long numExamples,
    long stepsPerEpoch,
    long optimizerStep,
    long schedulerLastStep,
    long seed,
    long dataEpoch,
    long dataMicroBatch,
    long numTokens) {}
