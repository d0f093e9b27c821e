package dev.zephyr.core.generate;

import dev.zephyr.core.InvalidInputException;
import dev.zephyr.core.chat.Message;
import java.util.List;

/**
 * Formats a conversation into prompt token ids (chat template plus tokenizer, generation prompt included). A tokenizer's
 * chat template plugs in as a method reference.
 */
@FunctionalInterface
public interface PromptFormatter {
  int[] format(List<Message> messages);

  /**
   * For pre-formatted, pre-tokenized prompts: the last message's content is a list of token ids separated by commas
   * and/or whitespace ({@code "1, 5, 9"}).
   */
  static PromptFormatter tokenIdsInLastMessage() {
    return messages -> parseIds(messages.get(messages.size() - 1).content());
  }

  /** Parses {@code "1,5,9"} or {@code "1 5 9"}; a bad entry is an {@link InvalidInputException}. */
  static int[] parseIds(String text) {
    String trimmed = text.trim();
    if (trimmed.isEmpty()) {
      throw InvalidInputException.field("prompt", "ids", "no token ids given");
    }
    String[] parts = trimmed.split("[,\\s]+");
    int[] ids = new int[parts.length];
    for (int i = 0; i < parts.length; i++) {
      try {
        ids[i] = Integer.parseInt(parts[i]);
      } catch (NumberFormatException e) {
        throw InvalidInputException.field("prompt", "ids", "token id #" + (i + 1) + " is not an integer: '"
            + parts[i] + "'");
      }
      if (ids[i] < 0) {
        throw InvalidInputException.field("prompt", "ids", "token ids must be >= 0, got " + ids[i]);
      }
    }
    return ids;
  }
}
