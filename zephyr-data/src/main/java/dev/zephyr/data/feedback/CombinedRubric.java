package dev.zephyr.data.feedback;

/**
 * Both verdicts, as {@code openbmb/UltraFeedback} rows carry both: the four aspect ratings (so {@code chosen: mean}
 * works) and an overall 1-10 score per completion (so {@code chosen: overall} works).
 */
public record CombinedRubric(UltraFeedbackRubric aspects, OverallRubric overall) implements Rubric {
  @Override
  public String name() {
    return "ultrafeedback+overall";
  }
}
