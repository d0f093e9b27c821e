package dev.zephyr.cli;

import dev.zephyr.core.ZephyrException;
import dev.zephyr.core.chat.ChatModel;

/**
 * Builds the {@link ChatModel}s the evaluation commands talk to: an OpenAI-compatible endpoint (OpenAI, vLLM,
 * llama.cpp server, Ollama) for judges and API models. One place, so wiring another provider is a one-line change.
 */
final class ChatModels {
  private ChatModels() {}

  /**
   * An OpenAI-compatible chat model.
   *
   * @param model the model name sent to the endpoint (e.g. {@code gpt-4})
   * @param baseUrl the endpoint's base URL, e.g. {@code https://api.openai.com/v1}
   * @param apiKeyEnv the environment variable holding the API key
   */
  static ChatModel openAiCompatible(String model, String baseUrl, String apiKeyEnv) {
    throw new ZephyrException("no OpenAI-compatible client in this build (dev.zephyr.core.chat.openai.OpenAiChatModel"
        + " is missing); cannot reach judge/model '" + model + "' at " + baseUrl);
  }
}
