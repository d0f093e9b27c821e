/** Multiple-choice log-likelihood evaluation in the style of lm-evaluation-harness ({@code acc}, {@code acc_norm}). */
package dev.zephyr.eval.mc;
