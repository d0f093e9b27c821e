/**
 * Self-Instruct (Wang et al. 2023, yizhongw/self-instruct): bootstrapping instructions from seed tasks with
 * in-context sampling (6 human + 2 machine examples), the post-processing filters (length, blacklist, "Write a
 * program", punctuation/non-ASCII starts), the ROUGE-L novelty filter (drop when above 0.7) and instance generation
 * from the user's template files. {@link dev.zephyr.data.instruct.RougeL} reproduces {@code rouge_score}'s default
 * tokenisation.
 */
package dev.zephyr.data.instruct;
