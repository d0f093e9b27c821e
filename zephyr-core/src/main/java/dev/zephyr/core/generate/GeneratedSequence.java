package dev.zephyr.core.generate;

import dev.zephyr.core.chat.FinishReason;
import java.util.List;

/**
 * One generated choice.
 *
 * @param tokenIds generated ids, including a final EOS / stop token when generation stopped on one
 * @param finishReason {@code STOP} (EOS, stop token id or stop string) or {@code LENGTH}
 * @param text detokenized output without the EOS / stop token and cut before a stop string; null without detokenizer
 * @param logprobs model log-probability (raw logits, before sampling transforms) of each generated token, or null
 * @param topLogprobs per generated token the most likely alternatives when asked for ({@code top_logprobs}), else empty
 */
public record GeneratedSequence(
    int[] tokenIds, FinishReason finishReason, String text, float[] logprobs, List<Alternatives> topLogprobs) {
  public GeneratedSequence {
    topLogprobs = topLogprobs == null ? List.of() : List.copyOf(topLogprobs);
  }

  /** The most likely tokens at one position, best first. */
  public record Alternatives(int[] ids, float[] logprobs) {}

  /** Number of generated tokens. */
  public int length() {
    return tokenIds.length;
  }
}
