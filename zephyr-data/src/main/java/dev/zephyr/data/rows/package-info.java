/**
 * The dataset rows that pass between stages, one record per Hugging Face layout: {@link
 * dev.zephyr.data.rows.SftRecord} ({@code ultrachat_200k}), {@link dev.zephyr.data.rows.PromptRecord}, {@link
 * dev.zephyr.data.rows.CompletionRecord} and {@link dev.zephyr.data.rows.RatingRecord} (UltraFeedback), and {@link
 * dev.zephyr.data.rows.PreferenceRecord} ({@code ultrafeedback_binarized}).
 *
 * <p>They sit in a package of their own, depending on nothing else in zephyr-data, so the jobs that write a row and the
 * jobs that read it never need each other.
 */
package dev.zephyr.data.rows;
