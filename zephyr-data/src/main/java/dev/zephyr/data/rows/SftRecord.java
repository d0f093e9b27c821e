package dev.zephyr.data.rows;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.zephyr.core.chat.Message;
import dev.zephyr.core.chat.Role;
import dev.zephyr.core.chat.cache.CacheKey;
import java.util.List;
import java.util.Objects;

/**
 * One supervised fine-tuning demonstration in the {@code HuggingFaceH4/ultrachat_200k} layout:
 * {@code {"prompt": "...", "prompt_id": "...", "messages": [{"role": "user", "content": "..."}, ...]}}.
 *
 * <p>{@code prompt} is the first user turn; {@code prompt_id} is the lower-case hex SHA-256 of the prompt, which is
 * how the Hugging Face H4 datasets derive it.
 */
public record SftRecord(
    @JsonProperty("prompt") String prompt,
    @JsonProperty("prompt_id") String promptId,
    @JsonProperty("messages") List<Message> messages) {

  @JsonCreator
  public SftRecord {
    Objects.requireNonNull(prompt, "prompt");
    Objects.requireNonNull(messages, "messages");
    messages = List.copyOf(messages);
    if (promptId == null || promptId.isEmpty()) {
      promptId = promptId(prompt);
    }
  }

  /** A record whose prompt is the first user message and whose prompt id is derived from it. */
  public static SftRecord of(List<Message> messages) {
    String prompt = messages.stream()
        .filter(m -> m.role() == Role.USER)
        .map(Message::content)
        .findFirst()
        .orElseThrow(() -> new IllegalArgumentException("a demonstration needs at least one user message"));
    return new SftRecord(prompt, promptId(prompt), messages);
  }

  /** Lower-case hex SHA-256 of the UTF-8 prompt. */
  public static String promptId(String prompt) {
    return CacheKey.sha256Hex(prompt);
  }
}
