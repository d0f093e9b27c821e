package dev.zephyr.cli;

import dev.zephyr.core.chat.ChatModel;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * Picocli mixin for the model an evaluation command talks to: a local Hugging Face model directory
 * ({@code --model-path}) or a model served at an OpenAI-compatible endpoint ({@code --model} at {@code --model-url}).
 */
final class ModelUnderTestOptions {
  @Option(names = "--model", description = "model name at the endpoint (with --model-url)")
  String model;

  @Option(names = "--model-url", description = "OpenAI-compatible base URL")
  String modelUrl;

  @Option(names = "--model-path", description = "local Hugging Face model directory (instead of --model-url)")
  Path modelPath;

  @Option(names = "--tokenizer", description = "tokenizer directory for --model-path (default: the model's)")
  Path tokenizerDir;

  @Option(names = "--api-key-env", defaultValue = "OPENAI_API_KEY", description = "env var with the API key")
  String apiKeyEnv;

  /** The model; closing it frees a local model's native memory. */
  ChatModel open() {
    return ChatModels.underTest(model, modelUrl, modelPath, tokenizerDir, apiKeyEnv);
  }

  /** The name used in result files: {@code --model}, else the model directory's name. */
  String displayName() {
    return ChatModels.displayName(model, modelPath);
  }
}
