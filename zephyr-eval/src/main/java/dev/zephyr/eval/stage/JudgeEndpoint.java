package dev.zephyr.eval.stage;

import dev.zephyr.core.ZephyrException;
import dev.zephyr.core.chat.ChatModel;
import dev.zephyr.core.chat.ChatRequest;
import dev.zephyr.core.chat.ChatResponse;
import dev.zephyr.core.chat.cache.CachedChatModel;
import dev.zephyr.core.chat.cache.ResponseStore;
import dev.zephyr.core.chat.endpoint.EndpointSpec;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * An evaluation's judge: an OpenAI-compatible endpoint (OpenAI, vLLM, llama.cpp server, Ollama) described by the
 * project's one {@link EndpointSpec} (base_url, model, api_key_env, timeout_seconds, max_retries, ...).
 */
public record JudgeEndpoint(EndpointSpec endpoint) {
  public JudgeEndpoint {
    Objects.requireNonNull(endpoint, "endpoint");
  }

  public String baseUrl() {
    return endpoint.baseUrls().get(0);
  }

  public String model() {
    return endpoint.model();
  }

  public String apiKeyEnv() {
    return endpoint.apiKeyEnv();
  }

  /** Under the YAML names, for manifests (the key's variable name, never the key). */
  public Map<String, Object> keys() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("base_url", endpoint.baseUrls().size() == 1 ? baseUrl() : endpoint.baseUrls());
    m.put("model", model());
    m.put("api_key_env", apiKeyEnv());
    if (endpoint.maxRetries() != null) {
      m.put("max_retries", endpoint.maxRetries());
    }
    if (endpoint.timeoutSeconds() != null) {
      m.put("timeout_seconds", endpoint.timeoutSeconds());
    }
    return m;
  }

  /** The judge with its answers remembered in {@code cacheFile}, so a rerun pays for no call twice. */
  public ChatModel open(Path cacheFile) {
    String keyEnv = apiKeyEnv();
    boolean keySet = keyEnv != null && !keyEnv.isBlank() && System.getenv(keyEnv) != null;
    if (!keySet && baseUrl().contains("api.openai.com")) {
      throw new ZephyrException("environment variable " + keyEnv + " must hold the API key for " + baseUrl());
    }
    ChatModel client;
    try {
      // a local server needs no key: an unset variable then sends none
      client = (keySet ? endpoint : endpoint.withApiKeyEnv(null)).open();
    } catch (IllegalArgumentException e) {
      throw new ZephyrException("cannot set up judge '" + model() + "' at " + baseUrl() + ": " + e.getMessage(), e);
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
