package dev.zephyr.core.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import dev.zephyr.core.InvalidInputException;
import dev.zephyr.core.io.Json;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The parts of a Hugging Face {@code tokenizer_config.json} that change how text is formatted and tokenized.
 *
 * <p>Special tokens may be written as plain strings or as {@code AddedToken} objects ({@code {"content": "<s>", ...}});
 * both give the token's text here. {@code model_max_length} values of 1e18 and above are transformers' "no limit"
 * sentinel ({@code 1000000000000000019884624838656}) and read as {@link OptionalInt#empty()}. {@code chat_template}
 * may be a string or a list of {@code {"name", "template"}}; a {@code chat_template.jinja} file beside the config
 * takes precedence as the default template, as in transformers.
 *
 * @param bosToken text of {@code bos_token}, or null
 * @param eosToken text of {@code eos_token}, or null
 * @param padToken text of {@code pad_token}, or null
 * @param unkToken text of {@code unk_token}, or null
 * @param modelMaxLength {@code model_max_length}, empty when absent or the "unbounded" sentinel
 * @param addBosToken {@code add_bos_token}, null when the config does not say
 * @param addEosToken {@code add_eos_token}, null when the config does not say
 * @param paddingSide {@code padding_side} ("right" by default)
 * @param truncationSide {@code truncation_side} ("right" by default)
 * @param chatTemplates named chat templates; the unnamed one is under {@link #DEFAULT_TEMPLATE}
 */
public record TokenizerConfig(
    String bosToken,
    String eosToken,
    String padToken,
    String unkToken,
    OptionalInt modelMaxLength,
    Boolean addBosToken,
    Boolean addEosToken,
    String paddingSide,
    String truncationSide,
    Map<String, String> chatTemplates) {

  /** Name of the default chat template in {@link #chatTemplates()}. */
  public static final String DEFAULT_TEMPLATE = "default";

  /** Lengths at or above this are transformers' VERY_LARGE_INTEGER sentinel: no limit. */
  private static final BigDecimal UNBOUNDED_THRESHOLD = new BigDecimal("1e18");

  public TokenizerConfig {
    chatTemplates = Collections.unmodifiableMap(new LinkedHashMap<>(chatTemplates == null ? Map.of() : chatTemplates));
    paddingSide = paddingSide == null ? "right" : paddingSide;
    truncationSide = truncationSide == null ? "right" : truncationSide;
  }

  /** A config with no special tokens and no template (for a directory without tokenizer_config.json). */
  public static TokenizerConfig empty() {
    return new TokenizerConfig(null, null, null, null, OptionalInt.empty(), null, null, null, null, Map.of());
  }

  /**
   * Reads {@code dir/tokenizer_config.json} (and {@code dir/chat_template.jinja} if present). A directory without a
   * config gives {@link #empty()} plus the .jinja template if there is one.
   */
  public static TokenizerConfig load(Path dir) {
    Path file = dir.resolve("tokenizer_config.json");
    TokenizerConfig config;
    if (Files.isRegularFile(file)) {
      JsonNode root;
      try {
        root = Json.mapper().readTree(file.toFile());
      } catch (IOException e) {
        throw new InvalidInputException(file.toString(), 0, null, "not valid JSON: " + e.getMessage(), e);
      }
      config = parse(root, file.toString());
    } else {
      config = empty();
    }
    Path jinja = dir.resolve("chat_template.jinja");
    if (Files.isRegularFile(jinja)) {
      try {
        config = config.withChatTemplate(DEFAULT_TEMPLATE, Files.readString(jinja, StandardCharsets.UTF_8));
      } catch (IOException e) {
        throw new InvalidInputException(jinja.toString(), 0, null, "cannot read: " + e.getMessage(), e);
      }
    }
    return config;
  }

  /** Parses an already-read {@code tokenizer_config.json}; {@code source} names it in errors. */
  public static TokenizerConfig parse(JsonNode root, String source) {
    if (root == null || !root.isObject()) {
      throw new InvalidInputException(source, 0, null, "expected a JSON object");
    }
    return new TokenizerConfig(
        tokenText(root, "bos_token", source),
        tokenText(root, "eos_token", source),
        tokenText(root, "pad_token", source),
        tokenText(root, "unk_token", source),
        maxLength(root, source),
        bool(root, "add_bos_token", source),
        bool(root, "add_eos_token", source),
        side(root, "padding_side", source),
        side(root, "truncation_side", source),
        templates(root.get("chat_template"), source));
  }

  /** A copy with one named template replaced or added. */
  public TokenizerConfig withChatTemplate(String name, String template) {
    Map<String, String> t = new LinkedHashMap<>(chatTemplates);
    t.put(name, template);
    return new TokenizerConfig(bosToken, eosToken, padToken, unkToken, modelMaxLength, addBosToken, addEosToken,
        paddingSide, truncationSide, t);
  }

  /** The default chat template, if the tokenizer has one. */
  public Optional<String> chatTemplate() {
    return Optional.ofNullable(chatTemplates.get(DEFAULT_TEMPLATE));
  }

  /** A named chat template ({@code "tool_use"}, ...). */
  public Optional<String> chatTemplate(String name) {
    return Optional.ofNullable(chatTemplates.get(name));
  }

  /** True when {@code model_max_length} is absent or the "unbounded" sentinel. */
  public boolean unboundedLength() {
    return modelMaxLength.isEmpty();
  }

  private static String tokenText(JsonNode root, String key, String source) {
    JsonNode n = root.get(key);
    if (n == null || n.isNull()) {
      return null;
    }
    if (n.isTextual()) {
      return n.asText();
    }
    if (n.isObject() && n.path("content").isTextual()) {
      return n.get("content").asText();
    }
    throw InvalidInputException.field(source, key,
        "expected a string or an AddedToken object with \"content\", found " + n.getNodeType());
  }

  private static OptionalInt maxLength(JsonNode root, String source) {
    JsonNode n = root.get("model_max_length");
    if (n == null || n.isNull()) {
      return OptionalInt.empty();
    }
    if (!n.isNumber()) {
      throw InvalidInputException.field(source, "model_max_length", "expected a number, found " + n.getNodeType());
    }
    BigDecimal v = n.decimalValue();
    if (v.compareTo(UNBOUNDED_THRESHOLD) >= 0) {
      return OptionalInt.empty();
    }
    if (v.signum() <= 0 || v.compareTo(BigDecimal.valueOf(Integer.MAX_VALUE)) > 0) {
      throw InvalidInputException.field(source, "model_max_length", "out of range: " + v);
    }
    return OptionalInt.of(v.intValue());
  }

  private static Boolean bool(JsonNode root, String key, String source) {
    JsonNode n = root.get(key);
    if (n == null || n.isNull()) {
      return null;
    }
    if (!n.isBoolean()) {
      throw InvalidInputException.field(source, key, "expected true or false, found " + n);
    }
    return n.booleanValue();
  }

  private static String side(JsonNode root, String key, String source) {
    JsonNode n = root.get(key);
    if (n == null || n.isNull()) {
      return null;
    }
    String s = n.asText();
    if (!s.equals("left") && !s.equals("right")) {
      throw InvalidInputException.field(source, key, "expected \"left\" or \"right\", found " + n);
    }
    return s;
  }

  private static Map<String, String> templates(JsonNode n, String source) {
    Map<String, String> out = new LinkedHashMap<>();
    if (n == null || n.isNull()) {
      return out;
    }
    if (n.isTextual()) {
      out.put(DEFAULT_TEMPLATE, n.asText());
      return out;
    }
    if (n.isArray()) {
      int i = 0;
      for (JsonNode item : n) {
        if (!item.path("name").isTextual() || !item.path("template").isTextual()) {
          throw InvalidInputException.field(source, "chat_template[" + i + "]",
              "expected {\"name\": string, \"template\": string}");
        }
        out.put(item.get("name").asText(), item.get("template").asText());
        i++;
      }
      return out;
    }
    throw InvalidInputException.field(source, "chat_template",
        "expected a string or a list of {name, template}, found " + n.getNodeType());
  }
}
