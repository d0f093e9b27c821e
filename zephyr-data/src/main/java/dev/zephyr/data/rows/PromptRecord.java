package dev.zephyr.data.rows;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import dev.zephyr.core.InvalidInputException;
import dev.zephyr.core.chat.cache.CacheKey;

/**
 * A prompt to collect feedback for: {@code {"prompt": "...", "prompt_id": "...", "source": "..."}}. UltraFeedback's
 * {@code instruction} column is accepted for {@code prompt}. A missing {@code prompt_id} is the SHA-256 hex of the
 * prompt's UTF-8 bytes, as {@code ultrafeedback_binarized} derives it.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record PromptRecord(@JsonProperty("prompt_id") String promptId, String prompt, String source) {

  /** The id {@code ultrafeedback_binarized} gives a prompt: {@code sha256(prompt.encode("utf-8")).hexdigest()}. */
  public static String deriveId(String prompt) {
    return CacheKey.sha256Hex(prompt);
  }

  /** Reads a dataset row, naming file and line when it has no usable prompt. */
  public static PromptRecord fromRow(JsonNode row, String file, long line) {
    JsonNode p = row.hasNonNull("prompt") ? row.get("prompt") : row.get("instruction");
    if (p == null || !p.isTextual() || p.asText().isBlank()) {
      throw new InvalidInputException(file, line, "prompt", "expected a non-empty string 'prompt' (or 'instruction')");
    }
    String prompt = p.asText();
    String id = row.hasNonNull("prompt_id") ? row.get("prompt_id").asText() : deriveId(prompt);
    String source = row.hasNonNull("source") ? row.get("source").asText() : null;
    return new PromptRecord(id, prompt, source);
  }
}
