package dev.zephyr.eval.mc;

import java.util.List;

/**
 * One multiple-choice item: the context (prompt, few-shot examples included), the answer choices (without the
 * delimiter) and the index of the correct one. ARC, HellaSwag, MMLU, TruthfulQA-MC1 and HHH-alignment all fit.
 */
public record McExample(String context, List<String> choices, int gold) {
  public McExample {
    choices = List.copyOf(choices);
    if (choices.isEmpty()) {
      throw new IllegalArgumentException("an item needs at least one choice");
    }
    if (gold < 0 || gold >= choices.size()) {
      throw new IllegalArgumentException("gold " + gold + " is outside the " + choices.size() + " choices");
    }
  }
}
