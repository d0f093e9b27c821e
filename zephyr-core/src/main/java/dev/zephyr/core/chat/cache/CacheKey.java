package dev.zephyr.core.chat.cache;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.zephyr.core.chat.ChatRequest;
import dev.zephyr.core.chat.Message;
import dev.zephyr.core.chat.SamplingParams;
import dev.zephyr.core.io.Json;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The identity of a model call: SHA-256 over a canonical JSON of the model name, the messages and every sampling
 * parameter (seed and n included). Two calls with the same key are interchangeable; nothing secret goes in.
 * Parameters added later ({@code presence_penalty}, {@code frequency_penalty}) enter the text only when they are not
 * at their neutral value, so the keys of requests that do not use them stay what they were.
 */
public final class CacheKey {
  private CacheKey() {}

  /** The canonical text that is hashed (stable field order; useful when debugging a cache miss). */
  public static String canonical(String model, ChatRequest request) {
    ObjectNode node = Json.mapper().createObjectNode();
    node.put("model", model);
    ArrayNode messages = node.putArray("messages");
    for (Message m : request.messages()) {
      messages.addObject().put("role", m.role().wireName()).put("content", m.content());
    }
    SamplingParams p = request.params();
    ObjectNode params = node.putObject("params");
    params.put("temperature", p.temperature());
    params.put("top_p", p.topP());
    params.put("top_k", p.topK());
    params.put("repetition_penalty", p.repetitionPenalty());
    if (p.presencePenalty() != 0) {
      params.put("presence_penalty", p.presencePenalty());
    }
    if (p.frequencyPenalty() != 0) {
      params.put("frequency_penalty", p.frequencyPenalty());
    }
    params.put("max_tokens", p.maxTokens());
    params.put("n", p.n());
    if (p.seed() == null) {
      params.putNull("seed");
    } else {
      params.put("seed", p.seed());
    }
    ArrayNode stop = params.putArray("stop");
    p.stop().forEach(stop::add);
    ArrayNode stopIds = params.putArray("stop_token_ids");
    p.stopTokenIds().forEach(stopIds::add);
    params.put("logprobs", p.logprobs());
    params.put("top_logprobs", p.topLogprobs());
    return node.toString();
  }

  /** Hex SHA-256 of {@link #canonical}. */
  public static String of(String model, ChatRequest request) {
    return sha256Hex(canonical(model, request));
  }

  /** Hex SHA-256 of UTF-8 text. */
  public static String sha256Hex(String text) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      return HexFormat.of().formatHex(md.digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 missing from this JVM", e);
    }
  }
}
