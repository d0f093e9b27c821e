package dev.zephyr.data.rows;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * One line of {@code completions.jsonl}: a prompt and the K completions sampled for it, named as the
 * {@code openbmb/UltraFeedback} rows name them ({@code models}, {@code completions[].model}, {@code principle},
 * {@code custom_system_prompt}, {@code response}). {@code completions[i]} comes from {@code models[i]}.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record CompletionRecord(
    @JsonProperty("prompt_id") String promptId,
    String prompt,
    String source,
    List<String> models,
    List<Sample> completions) {

  public CompletionRecord {
    models = List.copyOf(models);
    completions = List.copyOf(completions);
  }

  /**
   * One sampled completion. Only answered calls are written; {@code error} (with {@code response == null}) is read from
   * files of earlier versions, which wrote failed calls here, so that such a record can be recognised and done again.
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Sample(
      String model,
      String principle,
      @JsonProperty("custom_system_prompt") String customSystemPrompt,
      String response,
      @JsonProperty("finish_reason") String finishReason,
      String error) {

    /** True when the model answered. */
    public boolean ok() {
      return response != null;
    }
  }
}
