package dev.zephyr.core.chat;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/** Why generation ended, named as OpenAI names it. */
public enum FinishReason {
  /** An EOS token, a stop token id or a stop string. */
  STOP,
  /** The max-new-tokens budget (or the context window) ran out. */
  LENGTH,
  /** The provider reported an error for this choice. */
  ERROR;

  @JsonValue
  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Parses a wire name; unknown reasons (e.g. {@code content_filter}) map to {@link #STOP}. */
  public static FinishReason of(String name) {
    if (name == null) {
      return STOP;
    }
    return switch (name.toLowerCase(Locale.ROOT)) {
      case "length" -> LENGTH;
      case "error" -> ERROR;
      default -> STOP;
    };
  }
}
