package dev.zephyr.eval.mc;

/**
 * The answer to a {@link LoglikelihoodRequest}: the sum of the continuation tokens' log-probabilities and whether
 * every continuation token is the model's greedy (argmax) choice.
 */
public record Loglikelihood(double logprob, boolean isGreedy) {}
