package dev.zephyr.core.chat.openai;

import java.util.HashSet;
import java.util.Set;

/**
 * Removes an API key from text that may reach a file, a log or an exception: not only the whole key but any run of
 * {@value #MIN_RUN} or more of its characters, so that a server echoing part of the key ("sk-abc123...") does not
 * leave that part in a response cache or a completions file.
 */
final class KeyRedactor {
  /** The shortest piece of the key that is redacted. */
  static final int MIN_RUN = 6;
  static final String MASK = "***";

  private final String key;
  private final Set<String> seeds = new HashSet<>();

  KeyRedactor(String key) {
    this.key = key;
    for (int i = 0; i + MIN_RUN <= key.length(); i++) {
      seeds.add(key.substring(i, i + MIN_RUN));
    }
  }

  /** {@code text} with every run of {@value #MIN_RUN}+ characters that also occurs in the key replaced by the mask. */
  String apply(String text) {
    if (text == null || seeds.isEmpty() || text.length() < MIN_RUN) {
      return text;
    }
    StringBuilder out = null;
    int copied = 0;
    int i = 0;
    while (i + MIN_RUN <= text.length()) {
      if (!seeds.contains(text.substring(i, i + MIN_RUN))) {
        i++;
        continue;
      }
      // grow the run while it is still a piece of the key
      int end = i + MIN_RUN;
      while (end < text.length() && key.contains(text.substring(i, end + 1))) {
        end++;
      }
      if (out == null) {
        out = new StringBuilder(text.length());
      }
      out.append(text, copied, i).append(MASK);
      copied = end;
      i = end;
    }
    return out == null ? text : out.append(text, copied, text.length()).toString();
  }
}
