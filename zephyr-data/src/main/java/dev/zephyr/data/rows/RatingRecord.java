package dev.zephyr.data.rows;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import java.util.Map;

/**
 * One line of {@code ratings.jsonl}: the completions of a prompt with the judge's verdicts, in the
 * {@code openbmb/UltraFeedback} layout ({@code annotations} per aspect with string {@code Rating}s, {@code critique},
 * {@code overall_score}, {@code fine-grained_score}). Judgments the judge answered but that could not be parsed after
 * every attempt are listed in {@code failures} with the judge's raw text; the completions they concern carry no score.
 * Calls that failed at the provider never reach this file (they are in {@code failures.jsonl}).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record RatingRecord(
    @JsonProperty("prompt_id") String promptId,
    String prompt,
    String rubric,
    List<RatedCompletion> completions,
    List<JudgeFailure> failures) {

  /** How earlier versions began the error of a judge call that failed at the provider. */
  static final String FAILED_CALL_PREFIX = "judge call failed:";

  public RatingRecord {
    completions = List.copyOf(completions);
    failures = failures == null ? List.of() : List.copyOf(failures);
  }

  /**
   * True for a line that earlier versions wrote although a call behind it had failed (a completion without a response,
   * or a judge call that failed at the provider): such a line is not a rating, and the prompt is rated again. Current
   * versions list failed calls in {@code failures.jsonl} and never write them here.
   */
  @com.fasterxml.jackson.annotation.JsonIgnore
  public boolean hasFailedCalls() {
    return completions.stream().anyMatch(c -> c.response() == null)
        || failures.stream().anyMatch(f -> f.error() != null && f.error().startsWith(FAILED_CALL_PREFIX));
  }

  /** A completion with its ratings. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record RatedCompletion(
      String model,
      String principle,
      @JsonProperty("custom_system_prompt") String customSystemPrompt,
      String response,
      Map<String, AspectRating> annotations,
      String critique,
      @JsonProperty("overall_score") Double overallScore,
      @JsonProperty("fine-grained_score") Double fineGrainedScore) {}

  /**
   * One aspect's annotation. {@code Rating} is a string as in UltraFeedback ("1".."5" or "N/A"); {@code Type} and
   * {@code Rationale For Rating} exist for truthfulness and helpfulness only.
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record AspectRating(
      @JsonProperty("Rating") String rating,
      @JsonProperty("Rationale") String rationale,
      @JsonProperty("Type") List<String> type,
      @JsonProperty("Rationale For Rating") String rationaleForRating) {}

  /**
   * A judgment that never parsed.
   *
   * @param completionIndex the completion judged, or null for a judgment over all completions
   * @param aspect the UltraFeedback aspect, or {@code overall}
   * @param error why the last attempt was rejected
   * @param raw the judge's text of every attempt
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record JudgeFailure(
      @JsonProperty("completion_index") Integer completionIndex,
      String aspect,
      String error,
      List<String> raw) {}
}
