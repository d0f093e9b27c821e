package dev.zephyr.cli;

import ai.djl.Device;
import dev.zephyr.core.ZephyrException;
import dev.zephyr.core.chat.ChatModel;
import dev.zephyr.core.chat.ChatRequest;
import dev.zephyr.core.chat.ChatResponse;
import dev.zephyr.core.chat.cache.CachedChatModel;
import dev.zephyr.core.chat.cache.ResponseStore;
import dev.zephyr.core.chat.endpoint.EndpointSpec;
import java.nio.file.Path;
import java.util.List;

/**
 * Builds the {@link ChatModel}s the evaluation commands talk to: an OpenAI-compatible endpoint (OpenAI, vLLM,
 * llama.cpp server, Ollama) for judges and API models. One place, so wiring another provider is a one-line change.
 */
final class ChatModels {
  private ChatModels() {}

  /** Whole-request timeout of the command-line endpoints unless an option or a config says otherwise. */
  static final int DEFAULT_TIMEOUT_SECONDS = 120;

  /**
   * An OpenAI-compatible chat model with the default timeout and retries.
   *
   * @param model the model name sent to the endpoint (e.g. {@code gpt-4})
   * @param baseUrl the endpoint's base URL, e.g. {@code https://api.openai.com/v1}
   * @param apiKeyEnv the environment variable holding the API key
   */
  static ChatModel openAiCompatible(String model, String baseUrl, String apiKeyEnv) {
    return open(EndpointSpec.of(baseUrl, model, apiKeyEnv).withTimeoutSeconds(DEFAULT_TIMEOUT_SECONDS));
  }

  /**
   * The endpoint with its retry and rate decorators ({@link EndpointSpec#open()}). A local server (vLLM, llama.cpp,
   * Ollama) usually needs no key: none is sent when the variable is unset there, while OpenAI's API refuses to start
   * without it.
   */
  static ChatModel open(EndpointSpec spec) {
    String keyEnv = spec.apiKeyEnv();
    boolean keySet = keyEnv != null && !keyEnv.isBlank() && System.getenv(keyEnv) != null;
    String urls = String.join(", ", spec.baseUrls());
    if (!keySet && urls.contains("api.openai.com")) {
      throw new ZephyrException("environment variable " + keyEnv + " must hold the API key for " + urls);
    }
    EndpointSpec effective = keySet ? spec : new EndpointSpec(spec.name(), spec.baseUrls(), spec.model(), null,
        spec.timeoutSeconds(), spec.maxRetries(), spec.retryBackoffMs(), spec.requestsPerMinute(),
        spec.maxConcurrency(), spec.maxTotalConcurrency(), spec.headers());
    try {
      return effective.open();
    } catch (IllegalArgumentException e) {
      throw new ZephyrException("cannot set up model '" + spec.model() + "' at " + urls + ": " + e.getMessage(), e);
    }
  }

  /** {@code model} with its answers remembered in {@code cacheFile} (reruns and resumed jobs pay nothing twice). */
  static ChatModel cached(ChatModel model, Path cacheFile) {
    if (cacheFile == null) {
      return model;
    }
    ResponseStore store = ResponseStore.open(cacheFile);
    return closingAlso(new CachedChatModel(model, store), store::close);
  }

  /**
   * The model under test: a local model directory when {@code modelPath} is given (named {@code model}, else after the
   * directory, loaded onto {@code device}), with the PEFT adapter in {@code adapterDir} applied when not null (a
   * {@code modelPath} that is an adapter directory brings its base), else an OpenAI-compatible endpoint ({@code model}
   * at {@code baseUrl}). Closing it frees the local model's native memory.
   */
  static ChatModel underTest(String model, String baseUrl, Path modelPath, Path adapterDir, Path tokenizerDir,
      String apiKeyEnv, Device device) {
    return underTest(model, baseUrl, modelPath, adapterDir, tokenizerDir, apiKeyEnv, device, false);
  }

  /** As the method above; {@code keep16Bit} holds a local model's 16-bit weight matrices at 2 bytes. */
  static ChatModel underTest(String model, String baseUrl, Path modelPath, Path adapterDir, Path tokenizerDir,
      String apiKeyEnv, Device device, boolean keep16Bit) {
    if (modelPath != null) {
      LocalModels local = LocalModels.load(modelPath, adapterDir, tokenizerDir, device, keep16Bit);
      return closingAlso(local.chatModel(model != null ? model : modelPath.getFileName().toString()), local::close);
    }
    if (model == null || baseUrl == null) {
      throw new ZephyrException("give either a local model directory or both a model name and an endpoint URL");
    }
    return openAiCompatible(model, baseUrl, apiKeyEnv);
  }

  /** {@code chat} that, once closed, also runs {@code alsoClose} (the store or native model behind it). */
  private static ChatModel closingAlso(ChatModel chat, Runnable alsoClose) {
    return new ChatModel() {
      @Override
      public String name() {
        return chat.name();
      }

      @Override
      public String cacheKeyModel() {
        return chat.cacheKeyModel();
      }

      @Override
      public List<ChatResponse> complete(List<ChatRequest> requests) {
        return chat.complete(requests);
      }

      // the wrapped model's own per-request delivery: the default would resend a whole batch one by one after a
      // single failure
      @Override
      public void completeEach(List<ChatRequest> requests, ResultHandler handler) {
        chat.completeEach(requests, handler);
      }

      @Override
      public void close() {
        chat.close();
        alsoClose.run();
      }
    };
  }
}
