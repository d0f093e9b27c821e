package dev.zephyr.eval.harness;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/**
 * One document of a task after lm-eval's {@code process_docs}, {@code doc_to_text}, {@code doc_to_choice} and
 * {@code doc_to_target}: the prompt text (without few-shot examples or description), the answer choices (without
 * the target delimiter) and the index of the target choice. {@code trueCount} is the number of leading true answers
 * (TruthfulQA MC2's split point; 1 elsewhere). {@code row} is the input row, used to keep a document out of its own
 * few-shot examples as lm-eval's {@code x != doc} does; {@code source} and {@code line} name it in errors.
 */
public record HarnessDoc(String text, List<String> choices, int gold, int trueCount, JsonNode row, String source,
    long line) {
  public HarnessDoc {
    choices = List.copyOf(choices);
  }

  /** The text of the target choice, as a few-shot example shows it after the target delimiter. */
  public String target() {
    return choices.get(gold);
  }
}
