package dev.zephyr.core.chat;

import java.util.List;
import java.util.Objects;

/** A conversation to continue and how to sample the continuation. */
public record ChatRequest(List<Message> messages, SamplingParams params) {
  public ChatRequest {
    messages = List.copyOf(messages);
    Objects.requireNonNull(params, "params");
    if (messages.isEmpty()) {
      throw new IllegalArgumentException("a chat request needs at least one message");
    }
  }

  public static ChatRequest of(List<Message> messages, SamplingParams params) {
    return new ChatRequest(messages, params);
  }

  /** A single user message with default sampling. */
  public static ChatRequest user(String content) {
    return new ChatRequest(List.of(Message.user(content)), SamplingParams.defaults());
  }
}
