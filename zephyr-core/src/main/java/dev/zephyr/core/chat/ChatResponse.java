package dev.zephyr.core.chat;

import java.util.List;

/**
 * The answer to one {@link ChatRequest}: {@code n} choices plus token accounting.
 *
 * @param model the model that answered (provider-reported name where there is one)
 * @param choices one completion per requested sample ({@link SamplingParams#n()})
 * @param promptTokens tokens in the formatted prompt
 */
public record ChatResponse(String model, List<Completion> choices, int promptTokens) {
  public ChatResponse {
    choices = List.copyOf(choices);
    if (choices.isEmpty()) {
      throw new IllegalArgumentException("a response needs at least one choice");
    }
  }

  /** The first (usually only) choice. */
  public Completion first() {
    return choices.get(0);
  }

  /** Text of the first choice. */
  public String text() {
    return first().text();
  }

  /** Completion tokens summed over choices. */
  public int completionTokens() {
    return choices.stream().mapToInt(Completion::completionTokens).sum();
  }
}
