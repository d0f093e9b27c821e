package dev.zephyr.core.generate;

import dev.zephyr.core.chat.SamplingParams;
import java.util.Objects;

/** A prompt (token ids) and how to continue it; {@code params.n()} independent choices are generated. */
public record GenerationRequest(int[] promptIds, SamplingParams params) {
  public GenerationRequest {
    Objects.requireNonNull(params, "params");
    if (promptIds == null || promptIds.length == 0) {
      throw new IllegalArgumentException("a prompt needs at least one token");
    }
    promptIds = promptIds.clone();
  }
}
