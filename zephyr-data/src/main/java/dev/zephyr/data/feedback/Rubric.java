package dev.zephyr.data.feedback;

/** How the judge rates completions: {@link OverallRubric} (one call per completion), {@link UltraFeedbackRubric} (one call per aspect) or both ({@link CombinedRubric}). */
public sealed interface Rubric permits OverallRubric, UltraFeedbackRubric, CombinedRubric {
  /** Name recorded in {@code ratings.jsonl}. */
  String name();
}
