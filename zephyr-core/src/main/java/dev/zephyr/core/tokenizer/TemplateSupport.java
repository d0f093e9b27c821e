package dev.zephyr.core.tokenizer;

import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds Python-only constructs that Jinjava would render wrongly or not at all, so that a template using them is refused
 * before rendering instead of producing wrong text. Only code inside {@code {{ }}} and {@code {% %}} is inspected, with
 * string literals blanked out.
 */
final class TemplateSupport {
  /** Brackets holding two colons; the parts stop at a colon or bracket and never backtrack, so matching is linear. */
  private static final Pattern EXTENDED_SLICE = Pattern.compile("\\[[^\\[\\]:]*+:[^\\[\\]:]*+:[^\\[\\]]*+\\]");
  private static final Pattern PY_METHOD = Pattern.compile(
      "\\.(startswith|endswith|lstrip|rstrip|split|rsplit|splitlines|upper|lower|title|capitalize|casefold|swapcase"
          + "|format|join|count|find|rfind|index|rindex|isdigit|isalpha|isalnum|isspace|isupper|islower|removeprefix"
          + "|removesuffix|zfill|center|ljust|rjust|partition|rpartition|keys|pop|setdefault|update|extend|insert)"
          + "\\s*\\(");
  private static final Pattern STRIP_WITH_ARG = Pattern.compile("\\.strip\\s*\\(\\s*[^)\\s]");
  private static final Pattern STRING_REPEAT = Pattern.compile("''\\s*\\*|\\*\\s*''");
  private static final Pattern PERCENT_FORMAT = Pattern.compile("''\\s*%");
  private static final Pattern LOOP_NEIGHBOUR = Pattern.compile("\\bloop\\s*\\.\\s*(previtem|nextitem|changed|cycle)\\b");
  private static final Pattern NAMESPACE = Pattern.compile("\\bnamespace\\s*\\(");
  private static final Pattern LITERAL = Pattern.compile(
      "\\s*[A-Za-z_][A-Za-z0-9_]*\\s*=\\s*(true|false|True|False|none|None|-?\\d+(\\.\\d+)?|''|\\[\\s*\\]|\\{\\s*\\}"
          + "|__zns_\\d+)\\s*");

  private TemplateSupport() {}

  /** The first unsupported construct in {@code template}, described for an error message; empty when none. */
  static Optional<String> unsupportedConstruct(String template) {
    for (TemplateCode.Block code : TemplateCode.blocks(template)) {
      String expr = TemplateCode.collapseLiterals(code.body());
      Matcher m = EXTENDED_SLICE.matcher(expr);
      if (m.find()) {
        return Optional.of("extended slice '" + m.group() + "' (Python step slicing; use |reverse)");
      }
      m = PY_METHOD.matcher(expr);
      if (m.find()) {
        return Optional.of("Python string/dict method '." + m.group(1) + "(...)'");
      }
      m = STRIP_WITH_ARG.matcher(expr);
      if (m.find()) {
        return Optional.of("Python string method '.strip(chars)' with an argument");
      }
      if (STRING_REPEAT.matcher(expr).find()) {
        return Optional.of("string repetition with '*'");
      }
      if (PERCENT_FORMAT.matcher(expr).find()) {
        return Optional.of("printf-style string formatting with '%'");
      }
      m = LOOP_NEIGHBOUR.matcher(expr);
      if (m.find()) {
        return Optional.of("loop." + m.group(1) + " (Jinjava leaves it undefined)");
      }
      m = NAMESPACE.matcher(expr);
      while (m.find()) {
        int close = PythonCompat.matching(expr, m.end() - 1);
        String args = close < 0 ? expr.substring(m.end()) : expr.substring(m.end(), close);
        for (String arg : PythonCompat.splitTopLevel(args)) {
          if (!arg.isBlank() && !LITERAL.matcher(arg).matches()) {
            return Optional.of("namespace(...) with an expression argument '" + arg.trim() + "'");
          }
        }
      }
    }
    return Optional.empty();
  }
}
