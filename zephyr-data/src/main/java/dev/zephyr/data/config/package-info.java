/**
 * Model providers as the data jobs' YAML configs name them: {@link dev.zephyr.data.config.ProviderSpec} (an
 * OpenAI-compatible endpoint or a local model directory, turned into a {@code ChatModel}) and its sampling keys,
 * {@link dev.zephyr.data.config.Decoding}.
 */
package dev.zephyr.data.config;
