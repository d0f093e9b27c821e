package dev.zephyr.data.clean;

import java.util.Set;

/**
 * Fixes the casing error the {@code ultrachat_200k} card describes ("Hello. how are you?" becomes "Hello. How are
 * you?"): a lower-case letter that starts a sentence is upper-cased. A sentence starts at the beginning of the text
 * and after ".", "!" or "?" followed by whitespace. Left alone: text inside backtick code spans and fenced code
 * blocks, the word after an ellipsis or after a common abbreviation ("e.g.", "i.e.", "etc.", "vs.", "approx."), and
 * words that are not plain lower-case words (containing a digit, a dot, a slash,
 * an underscore or an inner capital, such as "iPhone", "x86" or "os.path").
 */
public final class Truecaser {
  private static final Set<String> ABBREVIATIONS = Set.of(
      "e.g", "i.e", "etc", "vs", "approx", "cf", "fig", "mr", "mrs", "ms", "dr", "al", "a.m", "p.m");

  private Truecaser() {}

  /** The text with sentence starts upper-cased; the same instance when nothing changes. */
  public static String apply(String text) {
    StringBuilder sb = new StringBuilder(text);
    boolean inFence = false;
    boolean inSpan = false;
    boolean sentenceStart = true;
    boolean changed = false;
    int i = 0;
    while (i < sb.length()) {
      if (i + 3 <= sb.length() && sb.substring(i, i + 3).equals("```")) {
        inFence = !inFence;
        i += 3;
        sentenceStart = false;
        continue;
      }
      char c = sb.charAt(i);
      if (inFence) {
        i++;
        continue;
      }
      if (c == '`') {
        inSpan = !inSpan;
        sentenceStart = false;
        i++;
        continue;
      }
      if (inSpan) {
        i++;
        continue;
      }
      if (Character.isLetter(c) && sentenceStart) {
        char upper = Character.toUpperCase(c);
        if (upper != c && Character.isLowerCase(c) && isPlainWord(sb.substring(i, wordEnd(sb, i)))) {
          sb.setCharAt(i, upper); // (some lower-case letters, such as ß, have no one-char upper case)
          changed = true;
        }
        sentenceStart = false;
        i++;
        continue;
      }
      if ((c == '.' || c == '!' || c == '?') && i + 1 < sb.length() && Character.isWhitespace(sb.charAt(i + 1))) {
        sentenceStart = !(c == '.' && (isEllipsis(sb, i) || followsAbbreviation(sb, i)));
      } else if (c == '\n' && i + 1 < sb.length() && sb.charAt(i + 1) == '\n') {
        sentenceStart = true; // a paragraph starts a sentence
      } else if (!Character.isWhitespace(c) && !isOpeningPunct(c)) {
        sentenceStart = false;
      }
      i++;
    }
    return changed ? sb.toString() : text;
  }

  private static boolean isOpeningPunct(char c) {
    return c == '"' || c == '\'' || c == '(' || c == '*' || c == '“' || c == '‘';
  }

  private static int wordEnd(CharSequence s, int from) {
    int j = from;
    while (j < s.length() && !Character.isWhitespace(s.charAt(j))) {
      j++;
    }
    return j;
  }

  /** A word of letters possibly followed by trailing punctuation, without inner capitals, digits or path marks. */
  private static boolean isPlainWord(String token) {
    String core = token.replaceAll("[\\p{Punct}“”‘’]+$", "");
    if (core.isEmpty()) {
      return false;
    }
    for (int k = 0; k < core.length(); k++) {
      char ch = core.charAt(k);
      boolean inner = ch == '\'' || ch == '’' || ch == '-';
      if (!(Character.isLowerCase(ch) || inner)) {
        return false;
      }
    }
    return true;
  }

  private static boolean isEllipsis(CharSequence s, int dot) {
    return dot >= 1 && s.charAt(dot - 1) == '.' || (dot >= 1 && s.charAt(dot - 1) == '…');
  }

  private static boolean followsAbbreviation(CharSequence s, int dot) {
    int j = dot;
    while (j > 0 && !Character.isWhitespace(s.charAt(j - 1)) && s.charAt(j - 1) != '(') {
      j--;
    }
    String word = s.subSequence(j, dot).toString().toLowerCase(java.util.Locale.ROOT);
    return ABBREVIATIONS.contains(word) || (word.length() == 1 && Character.isLetter(word.charAt(0))
        && Character.isUpperCase(s.charAt(j)));
  }
}
