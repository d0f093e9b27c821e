package dev.zephyr.data.feedback;

/** How the judge rates completions: {@link OverallRubric} (one call per completion) or {@link UltraFeedbackRubric}. */
public sealed interface Rubric permits OverallRubric, UltraFeedbackRubric {
  /** Name recorded in {@code ratings.jsonl}. */
  String name();
}
