package dev.zephyr.quickstart;

import java.util.Objects;

/**
 * One instruction of the miniature world with its verifiable answer.
 *
 * @param promptId stable id (SHA-256 of the prompt, as UltraFeedback derives {@code prompt_id})
 * @param family the task family that generated it
 * @param prompt the instruction as the user writes it
 * @param answer the bare correct answer ({@code "82"}, {@code "elppa"}, {@code "3, 5, 8"})
 */
public record Task(String promptId, TaskFamily family, String prompt, String answer) {
  public Task {
    Objects.requireNonNull(promptId, "promptId");
    Objects.requireNonNull(family, "family");
    Objects.requireNonNull(prompt, "prompt");
    Objects.requireNonNull(answer, "answer");
  }

  /** The demonstration the teacher writes: {@code "The answer is 82."}. */
  public String reference() {
    return InstructionWorld.respond(answer);
  }
}
