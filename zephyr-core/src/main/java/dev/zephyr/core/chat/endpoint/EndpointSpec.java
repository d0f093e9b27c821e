package dev.zephyr.core.chat.endpoint;

import com.fasterxml.jackson.annotation.JsonFormat;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.zephyr.core.InvalidInputException;
import dev.zephyr.core.chat.ChatModel;
import dev.zephyr.core.chat.limits.ConcurrencyLimitedChatModel;
import dev.zephyr.core.chat.limits.RateLimitedChatModel;
import dev.zephyr.core.chat.limits.RetryPolicy;
import dev.zephyr.core.chat.limits.RetryingChatModel;
import dev.zephyr.core.chat.openai.OpenAiChatModel;
import dev.zephyr.core.io.Json;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * One OpenAI-compatible model endpoint (vLLM, llama.cpp server, Ollama, OpenAI), described the same way wherever
 * zephyr talks to one: the AI-feedback pool and judge, the dSFT teacher, the evaluation judges and the command-line
 * options, which build this record. In YAML:
 *
 * <pre>
 * {base_url: "http://127.0.0.1:8000/v1", model: zephyr-7b-beta, api_key_env: VLLM_API_KEY, timeout_seconds: 60,
 *  max_retries: 6, retry_backoff_ms: 500, requests_per_minute: 500, max_concurrency: 16, max_total_concurrency: 32,
 *  headers: {X-Team: a}, name: teacher}
 * </pre>
 *
 * {@code base_url} may be a list of URLs serving the same model (calls go round-robin, {@code max_concurrency} in
 * flight per URL); {@code api_key_env} names the environment variable holding the key, never the key. {@link #open()}
 * builds the client and wraps it in the decorators the spec asks for: a {@link RateLimitedChatModel} for
 * {@code requests_per_minute}, a {@link ConcurrencyLimitedChatModel} for {@code max_total_concurrency}, and, outside
 * both, a {@link RetryingChatModel} for {@code max_retries}, so every retry also waits for its rate slot.
 */
public record EndpointSpec(
    @JsonProperty("name") String name,
    @JsonProperty("base_url") @JsonFormat(with = JsonFormat.Feature.ACCEPT_SINGLE_VALUE_AS_ARRAY)
    List<String> baseUrls,
    @JsonProperty("model") String model,
    @JsonProperty("api_key_env") String apiKeyEnv,
    @JsonProperty("timeout_seconds") Integer timeoutSeconds,
    @JsonProperty("max_retries") Integer maxRetries,
    @JsonProperty("retry_backoff_ms") Integer retryBackoffMs,
    @JsonProperty("requests_per_minute") Double requestsPerMinute,
    @JsonProperty("max_concurrency") Integer maxConcurrency,
    @JsonProperty("max_total_concurrency") Integer maxTotalConcurrency,
    @JsonProperty("headers") Map<String, String> headers) {

  /** Retries when a spec gives none: generous, for long collections and judge runs. */
  public static final int DEFAULT_MAX_RETRIES = 6;
  /** Whole-request timeout when a spec gives none. */
  public static final int DEFAULT_TIMEOUT_SECONDS = 60;

  /** The YAML keys, read from the record's own {@code @JsonProperty} names, so each is spelled once. */
  public static final Set<String> KEYS = keys();

  public EndpointSpec {
    baseUrls = baseUrls == null ? List.of() : List.copyOf(baseUrls);
    headers = headers == null ? Map.of() : Map.copyOf(headers);
  }

  /** The minimal endpoint: {@code model} at {@code baseUrl}, the key in the variable {@code apiKeyEnv} (or none). */
  public static EndpointSpec of(String baseUrl, String model, String apiKeyEnv) {
    return new EndpointSpec(null, List.of(baseUrl), model, apiKeyEnv, null, null, null, null, null, null, null);
  }

  /** This spec with another timeout. */
  public EndpointSpec withTimeoutSeconds(Integer seconds) {
    return new EndpointSpec(name, baseUrls, model, apiKeyEnv, seconds, maxRetries, retryBackoffMs, requestsPerMinute,
        maxConcurrency, maxTotalConcurrency, headers);
  }

  /** This spec with another retry count. */
  public EndpointSpec withMaxRetries(Integer retries) {
    return new EndpointSpec(name, baseUrls, model, apiKeyEnv, timeoutSeconds, retries, retryBackoffMs,
        requestsPerMinute, maxConcurrency, maxTotalConcurrency, headers);
  }

  /** This spec reading its key from another variable (null: send no key). */
  public EndpointSpec withApiKeyEnv(String variable) {
    return new EndpointSpec(name, baseUrls, model, variable, timeoutSeconds, maxRetries, retryBackoffMs,
        requestsPerMinute, maxConcurrency, maxTotalConcurrency, headers);
  }

  /** This spec under another name. */
  public EndpointSpec withName(String newName) {
    return new EndpointSpec(newName, baseUrls, model, apiKeyEnv, timeoutSeconds, maxRetries, retryBackoffMs,
        requestsPerMinute, maxConcurrency, maxTotalConcurrency, headers);
  }

  /**
   * Binds and checks the endpoint keys of a config mapping; other keys of {@code node} are left to the caller (a
   * provider entry adds decoding keys), which refuses the unknown ones.
   *
   * @param source the config file, for messages
   * @param field where the node sits ({@code judge}, {@code pool[0]})
   */
  public static EndpointSpec fromNode(JsonNode node, String source, String field) {
    if (node == null || !node.isObject()) {
      throw InvalidInputException.field(source, field, "expected a mapping with base_url and model");
    }
    ObjectNode own = Json.mapper().createObjectNode();
    node.fields().forEachRemaining(e -> {
      if (KEYS.contains(e.getKey())) {
        own.set(e.getKey(), e.getValue());
      }
    });
    EndpointSpec spec;
    try {
      spec = Json.strictYaml().treeToValue(own, EndpointSpec.class);
    } catch (com.fasterxml.jackson.core.JsonProcessingException | IllegalArgumentException e) {
      String key = e instanceof com.fasterxml.jackson.databind.JsonMappingException m && !m.getPath().isEmpty()
          ? m.getPath().get(0).getFieldName() : null;
      throw InvalidInputException.field(source, key == null ? field : field + "." + key,
          "not a valid value: " + e.getMessage().lines().findFirst().orElse(""));
    }
    spec.validate(source, field);
    return spec;
  }

  /** Checks the values, naming the key: what {@link #open()} would refuse, refused when the config is read. */
  public void validate(String source, String field) {
    if (baseUrls.isEmpty() || baseUrls.stream().anyMatch(u -> u == null || u.isBlank())) {
      throw InvalidInputException.field(source, field + ".base_url", "required: a URL or a list of URLs");
    }
    if (model == null || model.isBlank()) {
      throw InvalidInputException.field(source, field + ".model", "required: the model name the endpoint serves");
    }
    int maxPool = OpenAiChatModel.MAX_CONCURRENCY;
    if (maxConcurrency != null && (maxConcurrency < 1 || maxConcurrency > maxPool)) {
      throw InvalidInputException.field(source, field + ".max_concurrency", "must be in [1, " + maxPool + "], got "
          + maxConcurrency);
    }
    if (maxTotalConcurrency != null && maxTotalConcurrency < 1) {
      throw InvalidInputException.field(source, field + ".max_total_concurrency", "must be >= 1, got "
          + maxTotalConcurrency);
    }
    if (timeoutSeconds != null && timeoutSeconds < 1) {
      throw InvalidInputException.field(source, field + ".timeout_seconds", "must be >= 1, got " + timeoutSeconds);
    }
    if (maxRetries != null && maxRetries < 0) {
      throw InvalidInputException.field(source, field + ".max_retries", "must be >= 0, got " + maxRetries);
    }
    if (retryBackoffMs != null && retryBackoffMs < 0) {
      throw InvalidInputException.field(source, field + ".retry_backoff_ms", "must be >= 0, got " + retryBackoffMs);
    }
    if (requestsPerMinute != null && !(requestsPerMinute > 0 && Double.isFinite(requestsPerMinute))) {
      throw InvalidInputException.field(source, field + ".requests_per_minute", "must be > 0, got "
          + requestsPerMinute);
    }
  }

  /** The name the model reports: {@code name}, else the model name. */
  public String displayName() {
    return name != null ? name : model;
  }

  /** How failed requests are retried: {@code max_retries} (default {@value #DEFAULT_MAX_RETRIES}) and backoff. */
  public RetryPolicy retryPolicy() {
    RetryPolicy p = RetryPolicy.retries(maxRetries != null ? maxRetries : DEFAULT_MAX_RETRIES);
    return retryBackoffMs != null ? p.withInitialBackoff(Duration.ofMillis(retryBackoffMs)) : p;
  }

  /** The client with its decorators; the key is read from the process environment. */
  public ChatModel open() {
    return open(System::getenv);
  }

  /** The client with its decorators, reading {@code api_key_env} from {@code environment}. */
  public ChatModel open(Function<String, String> environment) {
    OpenAiChatModel.Builder b = OpenAiChatModel.builder()
        .baseUrls(baseUrls)
        .modelName(model)
        .name(displayName())
        .apiKeyEnv(apiKeyEnv)
        .environment(environment)
        .maxConcurrency(maxConcurrency)
        .timeout(Duration.ofSeconds(timeoutSeconds != null ? timeoutSeconds : DEFAULT_TIMEOUT_SECONDS))
        .customHeaders(headers);
    ChatModel m = b.build();
    if (maxTotalConcurrency != null) {
      m = new ConcurrencyLimitedChatModel(m, maxTotalConcurrency);
    }
    if (requestsPerMinute != null) {
      m = new RateLimitedChatModel(m, requestsPerMinute);
    }
    return new RetryingChatModel(m, retryPolicy());
  }

  private static Set<String> keys() {
    Set<String> keys = new LinkedHashSet<>();
    Arrays.stream(EndpointSpec.class.getRecordComponents())
        .forEach(c -> keys.add(c.getAccessor().getAnnotation(JsonProperty.class).value()));
    return Set.copyOf(keys);
  }
}
