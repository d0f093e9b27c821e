package dev.zephyr.eval.mtbench;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import dev.zephyr.core.chat.Message;
import java.util.List;

/**
 * One call FastChat would send to the judge: the OpenAI messages ({@code system} = the judge prompt's system prompt,
 * {@code user} = the filled template) for a question and turn. Serialised as the dry-run line
 * {@code {"question_id", "turn", "judge_prompt", "messages"}}.
 */
@JsonPropertyOrder({"question_id", "turn", "judge_prompt", "messages"})
public record JudgeRequest(
    @JsonProperty("question_id") int questionId,
    int turn,
    @JsonProperty("judge_prompt") String judgePrompt,
    List<Message> messages) {

  /** The filled user prompt ({@code user_prompt} in FastChat's judgment files). */
  @JsonIgnore
  public String userPrompt() {
    return messages.get(messages.size() - 1).content();
  }
}
