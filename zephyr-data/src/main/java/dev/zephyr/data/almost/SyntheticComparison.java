package dev.zephyr.data.almost;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.zephyr.core.chat.Message;
import dev.zephyr.data.rows.SftRecord;
import java.util.List;

/**
 * A synthetic preference pair in the {@code ultrafeedback_binarized} layout: {@code chosen}, {@code rejected} and
 * {@code messages} (= chosen) are full conversations (user prompt, then the answer); {@code meta} names the two
 * generator configurations as {@code "chosenCfg-vs-rejectedCfg"}, as ALMoST writes it.
 */
public record SyntheticComparison(
    @JsonProperty("prompt") String prompt,
    @JsonProperty("prompt_id") String promptId,
    @JsonProperty("chosen") List<Message> chosen,
    @JsonProperty("rejected") List<Message> rejected,
    @JsonProperty("messages") List<Message> messages,
    @JsonProperty("meta") String meta) {

  public SyntheticComparison {
    chosen = List.copyOf(chosen);
    rejected = List.copyOf(rejected);
    messages = messages == null ? chosen : List.copyOf(messages);
  }

  /** A single-turn pair. */
  public static SyntheticComparison of(String prompt, String chosenText, String rejectedText, String chosenCfg,
      String rejectedCfg) {
    List<Message> chosen = List.of(Message.user(prompt), Message.assistant(chosenText));
    List<Message> rejected = List.of(Message.user(prompt), Message.assistant(rejectedText));
    return new SyntheticComparison(prompt, SftRecord.promptId(prompt), chosen, rejected, chosen,
        chosenCfg + "-vs-" + rejectedCfg);
  }

  /** Text of the last chosen turn. */
  public String chosenText() {
    return chosen.get(chosen.size() - 1).content();
  }

  /** Text of the last rejected turn. */
  public String rejectedText() {
    return rejected.get(rejected.size() - 1).content();
  }
}
