package dev.zephyr.core.chat;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/** Speaker of a message, spelled on the wire as Hugging Face and OpenAI spell it. */
public enum Role {
  SYSTEM,
  USER,
  ASSISTANT,
  TOOL;

  /** The lower-case wire name ({@code "user"}). */
  @JsonValue
  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  @JsonCreator
  public static Role of(String name) {
    try {
      return valueOf(name.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException | NullPointerException e) {
      throw new IllegalArgumentException("unknown role '" + name + "' (expected system, user, assistant or tool)");
    }
  }
}
