package dev.zephyr.eval.mtbench;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * One line of FastChat's {@code question.jsonl}: id, category and the user turns. The inline {@code reference} field
 * is kept for display only; judges use {@code reference_answer/<judge>.jsonl} as FastChat does.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Question(
    @JsonProperty("question_id") int questionId,
    String category,
    List<String> turns,
    List<String> reference) {}
