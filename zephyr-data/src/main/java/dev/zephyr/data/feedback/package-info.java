/**
 * UltraFeedback-style AI feedback and the {@code zephyr aif} job: {@link dev.zephyr.data.feedback.AifConfig} (the
 * job's YAML) and {@link dev.zephyr.data.feedback.AifJob} build a pool and a judge from provider entries, {@link
 * dev.zephyr.data.feedback.FeedbackCollector} samples and rates completions with a {@link
 * dev.zephyr.data.feedback.Rubric}, and {@link dev.zephyr.data.feedback.Binarizer} turns ratings into preference pairs.
 * The rows it reads and writes are in {@link dev.zephyr.data.rows}.
 */
package dev.zephyr.data.feedback;
