package dev.zephyr.core.chat;

import java.util.List;

/**
 * One generated answer (an OpenAI "choice").
 *
 * @param text generated text, stop string excluded, special tokens stripped
 * @param finishReason why generation ended
 * @param completionTokens number of generated tokens
 * @param logprobs per-token log-probabilities when the request asked for them, else empty
 */
public record Completion(String text, FinishReason finishReason, int completionTokens, List<TokenLogprob> logprobs) {
  public Completion {
    logprobs = logprobs == null ? List.of() : List.copyOf(logprobs);
  }

  public Completion(String text, FinishReason finishReason, int completionTokens) {
    this(text, finishReason, completionTokens, List.of());
  }
}
