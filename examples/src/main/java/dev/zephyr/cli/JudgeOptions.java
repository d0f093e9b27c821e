package dev.zephyr.cli;

import dev.zephyr.core.chat.ChatModel;
import dev.zephyr.core.chat.endpoint.EndpointSpec;
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

  @Option(names = "--judge-timeout", defaultValue = "" + ChatModels.DEFAULT_TIMEOUT_SECONDS, paramLabel = "SECONDS",
      description = "whole-request timeout of a judge call (default: ${DEFAULT-VALUE})")
  int timeoutSeconds;

  @Option(names = "--judge-max-retries", defaultValue = "" + EndpointSpec.DEFAULT_MAX_RETRIES, paramLabel = "N",
      description = "retries of a judge call that failed with 429, 5xx or a timeout (default: ${DEFAULT-VALUE})")
  int maxRetries;

  @Option(names = "--judge-rpm", paramLabel = "N",
      description = "at most N judge requests started per minute (the provider's quota); default unlimited")
  Double requestsPerMinute;

  @Option(names = "--cache", paramLabel = "FILE.jsonl",
      description = "durable judge response cache (JSONL); reruns reuse its answers")
  Path cache;

  /** The judge's endpoint as the options describe it: {@code judgeModel} at {@code --judge-url}. */
  EndpointSpec spec(String judgeModel) {
    EndpointSpec spec = new EndpointSpec(null, java.util.List.of(judgeUrl), judgeModel, apiKeyEnv, timeoutSeconds,
        maxRetries, null, requestsPerMinute, null, null, null);
    spec.validate("command line", "judge");
    return spec;
  }

  /** The judge {@code judgeModel} at {@code --judge-url}, answering from {@code --cache} when given. */
  ChatModel open(String judgeModel) {
    return ChatModels.cached(ChatModels.open(spec(judgeModel)), cache);
  }
}
