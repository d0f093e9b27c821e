package dev.zephyr.eval.mtbench;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.List;

/**
 * One line of FastChat's {@code model_judgment/<judge>_single.jsonl}: {@code judge} is {@code [judge_model,
 * prompt_name]}, {@code score} the parsed rating (int or float, -1 when none was found).
 */
@JsonPropertyOrder({"question_id", "model", "judge", "user_prompt", "judgment", "score", "turn", "tstamp"})
public record SingleJudgment(
    @JsonProperty("question_id") int questionId,
    String model,
    List<String> judge,
    @JsonProperty("user_prompt") String userPrompt,
    String judgment,
    Number score,
    int turn,
    double tstamp) {

  /** The score as a double (-1 for a failed judgment). */
  public double scoreValue() {
    return score == null ? -1 : score.doubleValue();
  }
}
