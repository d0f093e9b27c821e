package dev.zephyr.cli;

import dev.zephyr.core.chat.ChatModel;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * Picocli mixin for an LLM judge served at an OpenAI-compatible endpoint, with an optional durable response cache.
 * The judge's model name stays with each command: its default and its meaning (MT-Bench also picks the reference
 * answers by it) differ between benchmarks.
 */
final class JudgeOptions {
  @Option(names = "--judge-url", defaultValue = "https://api.openai.com/v1", paramLabel = "URL",
      description = "OpenAI-compatible base URL of the judge")
  String judgeUrl;

  @Option(names = "--api-key-env", defaultValue = "OPENAI_API_KEY",
      description = "environment variable with the judge's API key")
  String apiKeyEnv;

  @Option(names = "--cache", paramLabel = "FILE.jsonl",
      description = "durable judge response cache (JSONL); reruns reuse its answers")
  Path cache;

  /** The judge {@code judgeModel} at {@code --judge-url}, answering from {@code --cache} when given. */
  ChatModel open(String judgeModel) {
    return ChatModels.cached(ChatModels.openAiCompatible(judgeModel, judgeUrl, apiKeyEnv), cache);
  }
}
