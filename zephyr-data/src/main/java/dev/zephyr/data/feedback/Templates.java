package dev.zephyr.data.feedback;

import dev.zephyr.core.TemplateException;
import java.util.Map;

/** Fills {@code {name}} placeholders (Python {@code str.format} style, as the UltraFeedback templates use them). */
final class Templates {
  private Templates() {}

  /**
   * Replaces every {@code {name}} whose name is a key of {@code values} in one left-to-right pass, so text inserted for
   * one placeholder is never scanned for another. Braces that are not a known placeholder stay as they are.
   */
  static String fill(String template, Map<String, String> values) {
    StringBuilder out = new StringBuilder(template.length() + 256);
    int i = 0;
    while (i < template.length()) {
      char c = template.charAt(i);
      if (c == '{') {
        int close = template.indexOf('}', i + 1);
        if (close > 0) {
          String name = template.substring(i + 1, close);
          String value = values.get(name);
          if (value != null) {
            out.append(value);
            i = close + 1;
            continue;
          }
        }
      }
      out.append(c);
      i++;
    }
    return out.toString();
  }

  /** Fails unless the template contains every placeholder. */
  static void require(String template, String source, String... names) {
    for (String n : names) {
      if (!template.contains("{" + n + "}")) {
        throw new TemplateException(source + ": template lacks the placeholder {" + n + "}");
      }
    }
  }
}
