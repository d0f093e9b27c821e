/**
 * The {@code dsft-data} job: it ties self-instruct or self-chat generation to cleaning, keeps an append-only JSONL log
 * of {@link dev.zephyr.data.rows.SftRecord} rows so generation resumes, and builds the teacher models it calls.
 */
package dev.zephyr.data.dsft;
