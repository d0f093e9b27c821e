package dev.zephyr.eval.mc;

/**
 * Score {@code continuation} given {@code context}, as lm-evaluation-harness's {@code loglikelihood} request: the
 * continuation carries its own leading delimiter (usually a space).
 */
public record LoglikelihoodRequest(String context, String continuation) {}
