package dev.zephyr.core.chat.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.zephyr.core.chat.ChatRequest;
import dev.zephyr.core.chat.ChatResponse;
import dev.zephyr.core.chat.Completion;
import dev.zephyr.core.chat.FinishReason;
import dev.zephyr.core.chat.Message;
import dev.zephyr.core.chat.SamplingParams;
import dev.zephyr.core.chat.TokenLogprob;
import dev.zephyr.core.io.Json;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The chat-completions wire format: our request values to the JSON body, and the JSON body back to our response
 * values. Kept apart from the transport so both directions are easy to test.
 */
final class OpenAiWire {
  private OpenAiWire() {}

  /**
   * The request body. OpenAI parameters are always sent, except {@code presence_penalty} and
   * {@code frequency_penalty}, which are sent only when not 0 (so requests without them stay as they always were);
   * {@code top_k} and {@code repetition_penalty} (vLLM and llama.cpp extensions that OpenAI itself rejects) only when
   * they differ from their neutral values.
   */
  static ObjectNode requestBody(String modelName, ChatRequest request) {
    SamplingParams p = request.params();
    ObjectNode body = Json.mapper().createObjectNode();
    body.put("model", modelName);
    ArrayNode messages = body.putArray("messages");
    for (Message m : request.messages()) {
      messages.addObject().put("role", m.role().wireName()).put("content", m.content());
    }
    body.put("temperature", p.temperature());
    body.put("top_p", p.topP());
    body.put("max_tokens", p.maxTokens());
    body.put("n", p.n());
    if (p.seed() != null) {
      body.put("seed", p.seed());
    }
    if (!p.stop().isEmpty()) {
      ArrayNode stop = body.putArray("stop");
      p.stop().forEach(stop::add);
    }
    if (p.presencePenalty() != 0) {
      body.put("presence_penalty", p.presencePenalty());
    }
    if (p.frequencyPenalty() != 0) {
      body.put("frequency_penalty", p.frequencyPenalty());
    }
    if (p.logprobs()) {
      body.put("logprobs", true);
      if (p.topLogprobs() > 0) {
        body.put("top_logprobs", p.topLogprobs());
      }
    }
    if (p.topK() > 0) {
      body.put("top_k", p.topK());
    }
    if (p.repetitionPenalty() != 1.0) {
      body.put("repetition_penalty", p.repetitionPenalty());
    }
    return body;
  }

  /** A response body that does not have the chat-completions shape; the call may succeed when repeated. */
  static final class MalformedBodyException extends Exception {
    MalformedBodyException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /** Parses a 200 body. Choices are ordered by their {@code index}. */
  static ChatResponse parseResponse(String fallbackModel, String bodyText) throws MalformedBodyException {
    JsonNode body;
    try {
      body = Json.mapper().readTree(bodyText);
    } catch (Exception e) {
      throw new MalformedBodyException("response body is not JSON (" + bodyText.length() + " chars, possibly truncated)", e);
    }
    if (body == null || !body.isObject()) {
      throw new MalformedBodyException("response body is not a JSON object", null);
    }
    JsonNode choices = body.get("choices");
    if (choices == null || !choices.isArray() || choices.isEmpty()) {
      throw new MalformedBodyException("response has no 'choices'", null);
    }
    JsonNode[] ordered = new JsonNode[choices.size()];
    for (int i = 0; i < choices.size(); i++) {
      ordered[i] = choices.get(i);
    }
    Arrays.sort(ordered, (a, b) -> Integer.compare(a.path("index").asInt(0), b.path("index").asInt(0)));

    JsonNode usage = body.path("usage");
    int promptTokens = usage.path("prompt_tokens").asInt(0);
    int completionTokens = usage.path("completion_tokens").asInt(0);
    List<Completion> out = new ArrayList<>(ordered.length);
    for (int i = 0; i < ordered.length; i++) {
      JsonNode choice = ordered[i];
      JsonNode content = choice.path("message").path("content");
      if (!content.isTextual()) {
        throw new MalformedBodyException("choice " + i + " has no message.content text", null);
      }
      // usage is reported for all choices together; spread it so the sum stays exact
      int tokens = completionTokens / ordered.length + (i == 0 ? completionTokens % ordered.length : 0);
      out.add(new Completion(content.asText(), FinishReason.of(choice.path("finish_reason").asText(null)), tokens,
          parseLogprobs(choice.path("logprobs"))));
    }
    String model = body.path("model").isTextual() ? body.get("model").asText() : fallbackModel;
    return new ChatResponse(model, out, promptTokens);
  }

  private static List<TokenLogprob> parseLogprobs(JsonNode logprobs) {
    JsonNode content = logprobs.path("content");
    if (!content.isArray()) {
      return List.of();
    }
    List<TokenLogprob> tokens = new ArrayList<>(content.size());
    for (JsonNode t : content) {
      List<TokenLogprob.TopLogprob> top = new ArrayList<>();
      for (JsonNode alt : t.path("top_logprobs")) {
        top.add(new TokenLogprob.TopLogprob(alt.path("token").asText(), alt.path("logprob").asDouble()));
      }
      tokens.add(new TokenLogprob(t.path("token").asText(), t.path("logprob").asDouble(), top));
    }
    return tokens;
  }
}
