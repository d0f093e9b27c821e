package dev.zephyr.eval.mtbench;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.List;

/**
 * One line of FastChat's {@code model_judgment/<judge>_pair.jsonl}: game 1 shows model_1 as Assistant A, game 2 shows
 * model_2 as Assistant A; winners are {@code model_1}, {@code model_2}, {@code tie} or {@code error}.
 */
@JsonPropertyOrder({"question_id", "model_1", "model_2", "g1_winner", "g2_winner", "judge", "g1_user_prompt",
    "g1_judgment", "g2_user_prompt", "g2_judgment", "turn", "tstamp"})
public record PairJudgment(
    @JsonProperty("question_id") int questionId,
    @JsonProperty("model_1") String model1,
    @JsonProperty("model_2") String model2,
    @JsonProperty("g1_winner") String g1Winner,
    @JsonProperty("g2_winner") String g2Winner,
    List<String> judge,
    @JsonProperty("g1_user_prompt") String g1UserPrompt,
    @JsonProperty("g1_judgment") String g1Judgment,
    @JsonProperty("g2_user_prompt") String g2UserPrompt,
    @JsonProperty("g2_judgment") String g2Judgment,
    int turn,
    double tstamp) {}
