package dev.zephyr.core.chat;

import java.util.List;

/**
 * Log-probability of one generated token, with the most likely alternatives at that position when asked for
 * ({@code top_logprobs}). Mirrors OpenAI's {@code choices[].logprobs.content[]}.
 */
public record TokenLogprob(String token, double logprob, List<TopLogprob> topLogprobs) {
  public TokenLogprob {
    topLogprobs = topLogprobs == null ? List.of() : List.copyOf(topLogprobs);
  }

  /** One alternative token at a position. */
  public record TopLogprob(String token, double logprob) {}
}
