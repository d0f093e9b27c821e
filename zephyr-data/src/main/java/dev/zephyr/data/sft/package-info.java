/**
 * SFT demonstrations in the {@code ultrachat_200k} layout ({@link dev.zephyr.data.sft.SftRecord}), the append-only
 * JSONL log that makes generation resumable, and the {@code dsft-data} job that ties generation and cleaning together.
 */
package dev.zephyr.data.sft;
