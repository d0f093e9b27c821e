package dev.zephyr.eval.mtbench;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.List;

/**
 * One line of FastChat's {@code model_answer/<model_id>.jsonl} (also the layout of reference answers):
 * {@code {"question_id", "answer_id", "model_id", "choices": [{"index", "turns"}], "tstamp"}}.
 */
@JsonPropertyOrder({"question_id", "answer_id", "model_id", "choices", "tstamp"})
public record ModelAnswer(
    @JsonProperty("question_id") int questionId,
    @JsonProperty("answer_id") String answerId,
    @JsonProperty("model_id") String modelId,
    List<Choice> choices,
    double tstamp) {

  /** One sampled conversation: the answer to each turn. */
  public record Choice(int index, List<String> turns) {}

  /** The answer of the first choice to turn {@code turn} (1-based). */
  public String turn(int turn) {
    return choices.get(0).turns().get(turn - 1);
  }
}
