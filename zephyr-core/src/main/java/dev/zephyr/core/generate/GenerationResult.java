package dev.zephyr.core.generate;

import java.util.List;

/** The choices generated for one {@link GenerationRequest}, in choice order. */
public record GenerationResult(int promptTokens, List<GeneratedSequence> choices) {
  public GenerationResult {
    choices = List.copyOf(choices);
  }

  public GeneratedSequence first() {
    return choices.get(0);
  }
}
