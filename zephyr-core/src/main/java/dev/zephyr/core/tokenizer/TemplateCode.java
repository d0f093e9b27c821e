package dev.zephyr.core.tokenizer;

import java.util.ArrayList;
import java.util.List;

/**
 * Finds the code in a template source (the inside of {@code {{ }}} and {@code {% %}}) and the string literals in that
 * code, in time linear in the source. The regular expressions this replaces rescanned the rest of the source from
 * every unclosed opening, or recursed once per character of a string literal, so a hostile template could stall or
 * overflow the stack while it was being loaded, before any render limit applied.
 */
final class TemplateCode {
  private TemplateCode() {}

  /**
   * One piece of code.
   *
   * @param start index of its opening delimiter
   * @param end index just past its closing delimiter
   * @param body the text between the delimiters
   * @param statement true for {@code {% %}}, false for {@code {{ }}}
   */
  record Block(int start, int end, String body, boolean statement) {}

  /**
   * The code blocks of {@code template} in order, as {@code \{\{(.*?)\}\}|\{%(.*?)%\}} (DOTALL) finds them: each
   * opening closes at the first matching closing delimiter after it, and an opening never closed is plain text.
   */
  static List<Block> blocks(String template) {
    List<Block> out = new ArrayList<>();
    // The next opening of each kind at or after `from`, or -1 once none is left that could close: an opening with no
    // closing after it means no later opening of its kind has one either. Both are searched again only when passed,
    // so the whole source is scanned a bounded number of times.
    int expression = template.indexOf("{{");
    int statement = template.indexOf("{%");
    int from = 0;
    while (expression >= 0 || statement >= 0) {
      if (expression >= 0 && expression < from) {
        expression = template.indexOf("{{", from);
        continue;
      }
      if (statement >= 0 && statement < from) {
        statement = template.indexOf("{%", from);
        continue;
      }
      boolean isStatement = expression < 0 || (statement >= 0 && statement < expression);
      int open = isStatement ? statement : expression;
      int close = template.indexOf(isStatement ? "%}" : "}}", open + 2);
      if (close < 0) {
        if (isStatement) {
          statement = -1;
        } else {
          expression = -1;
        }
        continue;
      }
      out.add(new Block(open, close + 2, template.substring(open + 2, close), isStatement));
      from = close + 2;
    }
    return out;
  }

  /**
   * {@code code} with every complete string literal replaced by {@code ''}, as
   * {@code '(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"} replaced by {@code ''} would give.
   */
  static String collapseLiterals(String code) {
    StringBuilder out = new StringBuilder(code.length());
    // A literal that fails at some index makes every later opening of the same quote before that index fail there
    // too (their escapes line up with the first one's), so those need not be scanned again.
    int singleFailsBefore = 0;
    int doubleFailsBefore = 0;
    int i = 0;
    while (i < code.length()) {
      char c = code.charAt(i);
      boolean single = c == '\'' && i >= singleFailsBefore;
      boolean dbl = c == '"' && i >= doubleFailsBefore;
      if (single || dbl) {
        int end = literalEnd(code, i);
        if (end >= 0) {
          out.append("''");
          i = end;
          continue;
        }
        if (single) {
          singleFailsBefore = -end - 1;
        } else {
          doubleFailsBefore = -end - 1;
        }
      }
      out.append(c);
      i++;
    }
    return out.toString();
  }

  /** Whether {@code text} is exactly one complete string literal. */
  static boolean isStringLiteral(String text) {
    return !text.isEmpty() && (text.charAt(0) == '\'' || text.charAt(0) == '"')
        && literalEnd(text, 0) == text.length();
  }

  /**
   * Index just past the literal whose quote is at {@code open}; when it never ends, {@code -1 - i} where {@code i} is
   * where it failed: the end of {@code s}, or a backslash before a line break (the regex's {@code .} matches none).
   */
  private static int literalEnd(String s, int open) {
    char quote = s.charAt(open);
    for (int i = open + 1; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\\') {
        if (i + 1 >= s.length() || isLineBreak(s.charAt(i + 1))) {
          return -1 - i;
        }
        i++;
      } else if (c == quote) {
        return i + 1;
      }
    }
    return -1 - s.length();
  }

  /** At most the first 300 characters of {@code text}, so that errors quoting template code stay readable. */
  static String abbreviate(String text) {
    return text.length() <= 300 ? text : text.substring(0, 300) + "... (" + text.length() + " characters)";
  }

  private static boolean isLineBreak(char c) {
    return c == '\n' || c == '\r' || c == '\u0085' || c == '\u2028' || c == '\u2029';
  }
}
