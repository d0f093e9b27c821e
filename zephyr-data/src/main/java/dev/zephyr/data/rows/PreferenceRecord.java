package dev.zephyr.data.rows;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.zephyr.core.chat.Message;
import java.util.List;

/**
 * One row of {@code preferences.jsonl} in the {@code HuggingFaceH4/ultrafeedback_binarized} layout: {@code chosen} and
 * {@code rejected} are {@code [user, assistant]} message lists and {@code messages} repeats {@code chosen}.
 */
public record PreferenceRecord(
    String prompt,
    @JsonProperty("prompt_id") String promptId,
    List<Message> chosen,
    List<Message> rejected,
    List<Message> messages,
    @JsonProperty("score_chosen") double scoreChosen,
    @JsonProperty("score_rejected") double scoreRejected) {

  /** Builds the row from the prompt and the two answers. */
  public static PreferenceRecord of(String prompt, String promptId, String chosen, String rejected,
      double scoreChosen, double scoreRejected) {
    List<Message> c = List.of(Message.user(prompt), Message.assistant(chosen));
    List<Message> r = List.of(Message.user(prompt), Message.assistant(rejected));
    return new PreferenceRecord(prompt, promptId, c, r, c, scoreChosen, scoreRejected);
  }
}
