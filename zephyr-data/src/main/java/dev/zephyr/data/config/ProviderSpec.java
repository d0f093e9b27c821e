package dev.zephyr.data.config;

import com.fasterxml.jackson.databind.JsonNode;
import dev.zephyr.core.InvalidInputException;
import dev.zephyr.core.chat.ChatModel;
import dev.zephyr.core.chat.SamplingParams;
import dev.zephyr.core.chat.openai.OpenAiChatModel;
import dev.zephyr.core.generate.LocalChatModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One model provider as a YAML config names it: an OpenAI-compatible endpoint
 * <pre>{name: a, base_url: "http://127.0.0.1:8001/v1", model: model-a, api_key_env: A_KEY, max_concurrency: 16,
 *  timeout_seconds: 30, max_retries: 6, temperature: 1.0, top_p: 1.0, max_tokens: 512}</pre>
 * (decoding keys also {@code presence_penalty} and {@code frequency_penalty}, OpenAI's, in [-2, 2], and
 * {@code repetition_penalty}, vLLM's and transformers', > 0; the penalties are sent only when not neutral)
 * ({@code max_concurrency}, requests in flight per URL, is 1 to 1024, default 16;
 * {@code base_url} may be a list of URLs serving the same model; {@code headers} adds HTTP headers;
 * {@code use_principles: false} keeps UltraFeedback principles away from this model; {@code retry_backoff_ms} is the
 * first retry's wait, default 500, growing 1.5x per retry), or a local model directory
 * {@code {name: mine, local: MODEL_DIR, temperature: 0.7, max_tokens: 512}}. The key itself never appears in a config:
 * {@code api_key_env} names the environment variable that holds it.
 */
public record ProviderSpec(
    String name,
    List<String> baseUrls,
    String model,
    String apiKeyEnv,
    Integer maxConcurrency,
    Integer timeoutSeconds,
    Integer maxRetries,
    Double temperature,
    Double topP,
    Integer maxTokens,
    Map<String, String> headers,
    Path local,
    boolean usePrinciples,
    Integer retryBackoffMs,
    Double presencePenalty,
    Double frequencyPenalty,
    Double repetitionPenalty) implements Decoding {

  private static final Set<String> KEYS = Set.of("name", "base_url", "model", "api_key_env", "max_concurrency",
      "timeout_seconds", "max_retries", "temperature", "top_p", "max_tokens", "headers", "local", "use_principles",
      "retry_backoff_ms", "presence_penalty", "frequency_penalty", "repetition_penalty");

  public ProviderSpec {
    baseUrls = baseUrls == null ? List.of() : List.copyOf(baseUrls);
    headers = headers == null ? Map.of() : Map.copyOf(headers);
  }

  /**
   * Reads a provider from a config node.
   *
   * @param source config file, for messages
   * @param field where the node sits ({@code pool[0]}, {@code judge})
   * @param baseDir directory relative paths are resolved against
   */
  public static ProviderSpec fromNode(JsonNode node, String source, String field, Path baseDir) {
    if (node == null || !node.isObject()) {
      throw InvalidInputException.field(source, field, "expected a mapping with base_url and model, or local");
    }
    for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
      String k = it.next();
      if (!KEYS.contains(k)) {
        throw InvalidInputException.field(source, field + "." + k, "unknown key (expected one of " + KEYS + ")");
      }
    }
    List<String> urls = new ArrayList<>();
    JsonNode url = node.get("base_url");
    if (url != null && url.isArray()) {
      url.forEach(u -> urls.add(u.asText()));
    } else if (url != null && url.isTextual()) {
      urls.add(url.asText());
    } else if (url != null) {
      throw InvalidInputException.field(source, field + ".base_url", "expected a URL or a list of URLs");
    }
    Path local = node.hasNonNull("local") ? baseDir.resolve(node.get("local").asText()).normalize() : null;
    String model = text(node, "model");
    if (local == null && (urls.isEmpty() || model == null)) {
      throw InvalidInputException.field(source, field,
          "an endpoint needs base_url and model (or give local: MODEL_DIR for a local model)");
    }
    if (local != null && !urls.isEmpty()) {
      throw InvalidInputException.field(source, field, "give either base_url or local, not both");
    }
    Map<String, String> headers = new LinkedHashMap<>();
    node.path("headers").fields().forEachRemaining(e -> headers.put(e.getKey(), e.getValue().asText()));
    String name = text(node, "name");
    if (name == null) {
      name = model != null ? model : local.getFileName().toString();
    }
    ProviderSpec spec = new ProviderSpec(name, urls, model, text(node, "api_key_env"),
        integer(node, "max_concurrency", source, field), integer(node, "timeout_seconds", source, field),
        integer(node, "max_retries", source, field), number(node, "temperature", source, field),
        number(node, "top_p", source, field), integer(node, "max_tokens", source, field), headers, local,
        !node.has("use_principles") || node.get("use_principles").asBoolean(true),
        integer(node, "retry_backoff_ms", source, field), number(node, "presence_penalty", source, field),
        number(node, "frequency_penalty", source, field), number(node, "repetition_penalty", source, field));
    spec.validate(source, field);
    return spec;
  }

  private void validate(String source, String field) {
    int maxPool = dev.zephyr.core.chat.openai.OpenAiChatModel.MAX_CONCURRENCY;
    if (maxConcurrency != null && (maxConcurrency < 1 || maxConcurrency > maxPool)) {
      throw InvalidInputException.field(source, field + ".max_concurrency", "must be in [1, " + maxPool + "], got "
          + maxConcurrency);
    }
    if (timeoutSeconds != null && timeoutSeconds < 1) {
      throw InvalidInputException.field(source, field + ".timeout_seconds", "must be >= 1, got " + timeoutSeconds);
    }
    if (maxRetries != null && maxRetries < 0) {
      throw InvalidInputException.field(source, field + ".max_retries", "must be >= 0, got " + maxRetries);
    }
    try {
      samplingParams(SamplingParams.defaults());
    } catch (IllegalArgumentException e) {
      throw InvalidInputException.field(source, field, e.getMessage());
    }
  }

  private static String text(JsonNode node, String key) {
    return node.hasNonNull(key) ? node.get(key).asText() : null;
  }

  private static Integer integer(JsonNode node, String key, String source, String field) {
    if (!node.hasNonNull(key)) {
      return null;
    }
    if (!node.get(key).canConvertToInt() || !node.get(key).isIntegralNumber()) {
      throw InvalidInputException.field(source, field + "." + key, "expected an integer, found " + node.get(key));
    }
    return node.get(key).asInt();
  }

  private static Double number(JsonNode node, String key, String source, String field) {
    if (!node.hasNonNull(key)) {
      return null;
    }
    if (!node.get(key).isNumber()) {
      throw InvalidInputException.field(source, field + "." + key, "expected a number, found " + node.get(key));
    }
    return node.get(key).asDouble();
  }

  /** True for {@code local: MODEL_DIR}. */
  public boolean isLocal() {
    return local != null;
  }

  /**
   * Builds the model: an {@link OpenAiChatModel} (retries default to 6 here, generous for long collections), or the
   * local decoder over a Hugging Face model directory with its tokenizer ({@link LocalChatModel#fromDirectory}).
   */
  public ChatModel toChatModel() {
    if (isLocal()) {
      return loadLocal();
    }
    OpenAiChatModel.Builder b = OpenAiChatModel.builder()
        .baseUrls(baseUrls)
        .modelName(model)
        .name(name)
        .apiKeyEnv(apiKeyEnv)
        .maxConcurrency(maxConcurrency)
        .maxRetries(maxRetries != null ? maxRetries : 6)
        .customHeaders(headers);
    if (timeoutSeconds != null) {
      b.timeout(Duration.ofSeconds(timeoutSeconds));
    }
    if (retryBackoffMs != null) {
      b.initialBackoff(Duration.ofMillis(retryBackoffMs));
    }
    return b.build();
  }

  private ChatModel loadLocal() {
    if (!Files.isDirectory(local)) {
      throw InvalidInputException.field(null, "local", "model directory " + local + " does not exist");
    }
    return LocalChatModel.fromDirectory(local);
  }
}
