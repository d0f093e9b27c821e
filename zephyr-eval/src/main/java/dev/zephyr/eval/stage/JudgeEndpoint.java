package dev.zephyr.eval.stage;

import dev.zephyr.core.ZephyrException;
import dev.zephyr.core.chat.ChatModel;
import dev.zephyr.core.chat.ChatRequest;
import dev.zephyr.core.chat.ChatResponse;
import dev.zephyr.core.chat.cache.CachedChatModel;
import dev.zephyr.core.chat.cache.ResponseStore;
import dev.zephyr.core.chat.limits.RetryPolicy;
import dev.zephyr.core.chat.limits.RetryingChatModel;
import dev.zephyr.core.chat.openai.OpenAiChatModel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * An evaluation's judge: an OpenAI-compatible endpoint (OpenAI, vLLM, llama.cpp server, Ollama).
 *
 * @param baseUrl {@code base_url}, e.g. {@code https://api.openai.com/v1}
 * @param model {@code model}, the name sent to the endpoint
 * @param apiKeyEnv {@code api_key_env}, the environment variable holding the key (none is sent when it is unset and
 *     the endpoint is not OpenAI's)
 */
public record JudgeEndpoint(String baseUrl, String model, String apiKeyEnv) {
  static final Set<String> KEYS = Set.of("base_url", "model", "api_key_env");

  public JudgeEndpoint {
    Objects.requireNonNull(baseUrl, "base_url");
    Objects.requireNonNull(model, "model");
  }

  /** Under the YAML names, for manifests. */
  public Map<String, Object> keys() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("base_url", baseUrl);
    m.put("model", model);
    m.put("api_key_env", apiKeyEnv);
    return m;
  }

  /** The judge with its answers remembered in {@code cacheFile}, so a rerun pays for no call twice. */
  public ChatModel open(Path cacheFile) {
    boolean keySet = apiKeyEnv != null && !apiKeyEnv.isBlank() && System.getenv(apiKeyEnv) != null;
    if (!keySet && baseUrl.contains("api.openai.com")) {
      throw new ZephyrException("environment variable " + apiKeyEnv + " must hold the API key for " + baseUrl);
    }
    ChatModel client;
    try {
      client = OpenAiChatModel.builder().baseUrl(baseUrl).modelName(model).apiKeyEnv(keySet ? apiKeyEnv : null)
          .timeout(Duration.ofSeconds(120)).build();
      client = new RetryingChatModel(client, RetryPolicy.retries(6));
    } catch (IllegalArgumentException e) {
      throw new ZephyrException("cannot set up judge '" + model + "' at " + baseUrl + ": " + e.getMessage(), e);
    }
    ResponseStore store = ResponseStore.open(cacheFile);
    CachedChatModel cached = new CachedChatModel(client, store);
    // closing the judge closes its store too (the cache decorator leaves shared stores open)
    return new ChatModel() {
      @Override
      public String name() {
        return cached.name();
      }

      @Override
      public String cacheKeyModel() {
        return cached.cacheKeyModel();
      }

      @Override
      public List<ChatResponse> complete(List<ChatRequest> requests) {
        return cached.complete(requests);
      }

      @Override
      public void completeEach(List<ChatRequest> requests, ResultHandler handler) {
        cached.completeEach(requests, handler);
      }

      @Override
      public void close() {
        cached.close();
        store.close();
      }
    };
  }
}
