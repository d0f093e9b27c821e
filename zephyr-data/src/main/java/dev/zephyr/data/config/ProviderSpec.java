package dev.zephyr.data.config;

import com.fasterxml.jackson.databind.JsonNode;
import dev.zephyr.core.InvalidInputException;
import dev.zephyr.core.config.ConfigKeys;
import dev.zephyr.core.chat.ChatModel;
import dev.zephyr.core.chat.SamplingParams;
import dev.zephyr.core.chat.endpoint.EndpointSpec;
import dev.zephyr.core.generate.LocalChatModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

/**
 * One model provider as a YAML config names it: an OpenAI-compatible endpoint, whose keys are those of the one
 * {@link EndpointSpec} ({@code base_url}, {@code model}, {@code api_key_env}, {@code timeout_seconds},
 * {@code max_retries}, {@code retry_backoff_ms}, {@code requests_per_minute}, {@code max_concurrency},
 * {@code max_total_concurrency}, {@code headers}, {@code name}), plus decoding keys
 * <pre>{name: a, base_url: "http://127.0.0.1:8001/v1", model: model-a, api_key_env: A_KEY, max_concurrency: 16,
 *  timeout_seconds: 30, max_retries: 6, temperature: 1.0, top_p: 1.0, max_tokens: 512}</pre>
 * (decoding keys also {@code presence_penalty} and {@code frequency_penalty}, OpenAI's, in [-2, 2], and
 * {@code repetition_penalty}, vLLM's and transformers', > 0; the penalties are sent only when not neutral;
 * {@code use_principles: false} keeps UltraFeedback principles away from this model), or a local model directory
 * {@code {name: mine, local: MODEL_DIR, temperature: 0.7, max_tokens: 512}}. The key itself never appears in a config:
 * {@code api_key_env} names the environment variable that holds it.
 *
 * @param endpoint the endpoint; null for a local model
 */
public record ProviderSpec(
    String name,
    EndpointSpec endpoint,
    Path local,
    Double temperature,
    Double topP,
    Integer maxTokens,
    boolean usePrinciples,
    Double presencePenalty,
    Double frequencyPenalty,
    Double repetitionPenalty) implements Decoding {

  private static final Set<String> OWN_KEYS = Set.of("local", "use_principles", "temperature", "top_p",
      "max_tokens", "presence_penalty", "frequency_penalty", "repetition_penalty");
  /** Every key a provider entry may have: the endpoint's and its own. */
  public static final Set<String> KEYS = union(EndpointSpec.KEYS, OWN_KEYS);

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
    ConfigKeys.requireKnown(node, KEYS, fileOf(source), source, field);
    Path local = node.hasNonNull("local") ? baseDir.resolve(node.get("local").asText()).normalize() : null;
    EndpointSpec endpoint = null;
    if (local != null) {
      if (node.has("base_url")) {
        throw InvalidInputException.field(source, field, "give either base_url or local, not both");
      }
    } else {
      if (!node.has("base_url") || !node.has("model")) {
        throw InvalidInputException.field(source, field,
            "an endpoint needs base_url and model (or give local: MODEL_DIR for a local model)");
      }
      endpoint = EndpointSpec.fromNode(node, source, field);
    }
    String name = endpoint != null ? endpoint.displayName()
        : node.hasNonNull("name") ? node.get("name").asText() : local.getFileName().toString();
    ProviderSpec spec = new ProviderSpec(name, endpoint, local, number(node, "temperature", source, field),
        number(node, "top_p", source, field), integer(node, "max_tokens", source, field),
        !node.has("use_principles") || node.get("use_principles").asBoolean(true),
        number(node, "presence_penalty", source, field), number(node, "frequency_penalty", source, field),
        number(node, "repetition_penalty", source, field));
    try {
      spec.samplingParams(SamplingParams.defaults());
    } catch (IllegalArgumentException e) {
      throw InvalidInputException.field(source, field, e.getMessage());
    }
    return spec;
  }

  private static Set<String> union(Set<String> a, Set<String> b) {
    Set<String> all = new java.util.HashSet<>(a);
    all.addAll(b);
    return Set.copyOf(all);
  }

  /** The config file a source names, for the line of a refused key; null when it names none. */
  private static Path fileOf(String source) {
    try {
      return source == null ? null : Path.of(source);
    } catch (java.nio.file.InvalidPathException e) {
      return null;
    }
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
   * Builds the model: the endpoint with its retry and rate decorators ({@link EndpointSpec#open()}; retries default
   * to {@value EndpointSpec#DEFAULT_MAX_RETRIES}, generous for long collections), or the local decoder over a Hugging
   * Face model directory with its tokenizer ({@link LocalChatModel#fromDirectory}).
   */
  public ChatModel toChatModel() {
    return isLocal() ? loadLocal() : endpoint.open();
  }

  private ChatModel loadLocal() {
    if (!Files.isDirectory(local)) {
      throw InvalidInputException.field(null, "local", "model directory " + local + " does not exist");
    }
    return LocalChatModel.fromDirectory(local);
  }
}
