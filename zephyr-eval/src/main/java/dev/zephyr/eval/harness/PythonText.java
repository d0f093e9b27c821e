package dev.zephyr.eval.harness;

import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The few Python string operations lm-evaluation-harness's templates apply, with Python's semantics where Java's
 * differ: {@code str.strip} strips every Unicode whitespace character (U+00A0 included, which
 * {@link String#strip} keeps), {@code str.capitalize} lower-cases the rest, and a regular expression's {@code .}
 * stops only at {@code \n}.
 */
public final class PythonText {
  private static final Pattern BRACKETED = Pattern.compile("\\[.*?\\]", Pattern.UNIX_LINES);

  private PythonText() {}

  /** Python's {@code str.isspace} for one character. */
  public static boolean isSpace(char c) {
    return Character.isWhitespace(c) || Character.isSpaceChar(c) || c == '\u001c' || c == '\u001d'
        || c == '\u001e' || c == '\u001f' || c == '\u0085';
  }

  /** Python's {@code str.strip()}. */
  public static String strip(String s) {
    int start = 0;
    int end = s.length();
    while (start < end && isSpace(s.charAt(start))) {
      start++;
    }
    while (end > start && isSpace(s.charAt(end - 1))) {
      end--;
    }
    return s.substring(start, end);
  }

  /** Python's {@code str.capitalize()}: the first character in title case, the rest lower case. */
  public static String capitalize(String s) {
    if (s.isEmpty()) {
      return s;
    }
    int first = s.codePointAt(0);
    int n = Character.charCount(first);
    return new String(Character.toChars(Character.toTitleCase(first))) + s.substring(n).toLowerCase(Locale.ROOT);
  }

  /**
   * The HellaSwag cleanup of lm-eval's {@code hellaswag/utils.py} {@code preprocess}: strip, {@code " [title]"}
   * becomes {@code ". "}, bracketed WikiHow tags are removed (non-greedy), then each double space becomes one.
   */
  public static String hellaswagPreprocess(String text) {
    String t = strip(text);
    t = t.replace(" [title]", ". ");
    t = BRACKETED.matcher(t).replaceAll("");
    return t.replace("  ", " ");
  }
}
