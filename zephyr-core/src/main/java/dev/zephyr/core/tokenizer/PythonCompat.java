package dev.zephyr.core.tokenizer;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import dev.zephyr.core.TemplateException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Rewrites the Python-only constructs that common chat templates use (Qwen3's among them) into forms Jinjava evaluates
 * with Python's semantics, before the template is checked for what remains unsupported:
 * <ul>
 *   <li>{@code X.startswith(a)}, {@code .endswith}, {@code .split}, {@code .lstrip}, {@code .rstrip}, {@code .strip},
 *       {@code .upper}, {@code .lower}, {@code .title}, {@code .capitalize}, {@code .replace}, {@code .join} become calls
 *       of functions implementing Python's {@code str} methods ({@code pystr_split_1(X, a)});</li>
 *   <li>{@code X[::-1]} becomes {@code (X|reverse)};</li>
 *   <li>{@code {% set ns = namespace(k=EXPR) %}} with a computed argument becomes {@code {% set __zns_0 = EXPR %}}
 *       followed by {@code {% set ns = namespace(k=__zns_0) %}} (Jinjava only accepts plain values there).</li>
 * </ul>
 * Anything else stays as written, and {@link TemplateSupport} refuses what Jinjava would get wrong.
 */
final class PythonCompat {
  private static final Pattern METHOD = Pattern.compile(
      "\\.(startswith|endswith|split|lstrip|rstrip|strip|upper|lower|title|capitalize|replace|join)\\s*\\(");
  private static final Pattern REVERSE_SLICE = Pattern.compile("\\[\\s*:\\s*:\\s*-\\s*1\\s*\\]");
  private static final Pattern SET_NAMESPACE = Pattern.compile(
      "^(-?\\s*set\\s+[A-Za-z_][A-Za-z0-9_]*\\s*=\\s*namespace\\s*\\()(.*)(\\)\\s*-?\\s*)$", Pattern.DOTALL);
  /** Plain values other than string literals, which {@link TemplateCode#isStringLiteral} recognises. */
  private static final Pattern PLAIN_VALUE = Pattern.compile(
      "\\s*(true|false|True|False|none|None|-?\\d+(\\.\\d+)?|\\[\\s*\\]|\\{\\s*\\})\\s*");
  /** Python method calls and reverse slices one expression may have rewritten. */
  private static final int MAX_REWRITES = 1000;
  private static final Pattern KEYWORD_ARG = Pattern.compile("\\s*([A-Za-z_][A-Za-z0-9_]*)\\s*=(.*)", Pattern.DOTALL);

  private PythonCompat() {}

  /** The template with the supported Python-only constructs rewritten. */
  static String rewrite(String template) {
    StringBuilder out = new StringBuilder(template.length());
    int last = 0;
    int[] counter = {0};
    for (TemplateCode.Block code : TemplateCode.blocks(template)) {
      out.append(template, last, code.start());
      if (code.statement()) {
        out.append(rewriteStatement(rewriteExpression(code.body()), counter));
      } else {
        out.append("{{").append(wrapOutput(rewriteExpression(code.body()))).append("}}");
      }
      last = code.end();
    }
    return out.append(template.substring(last)).toString();
  }

  /**
   * {@code {{ X }}} becomes {@code {{ pystr_out_0(X) }}} so that printed booleans read {@code True}/{@code False} as in
   * Python (Jinjava prints {@code true}); whitespace-control dashes stay outside the call.
   */
  private static String wrapOutput(String expr) {
    // Split as ^(-?)(\s*)(.*?)(\s*)(-?)$ would, by scanning in from both ends (that regex is quadratic in a long run
    // of spaces).
    int start = expr.startsWith("-") ? 1 : 0;
    while (start < expr.length() && isRegexSpace(expr.charAt(start))) {
      start++;
    }
    int end = expr.length();
    if (end > start && expr.charAt(end - 1) == '-') {
      end--;
    }
    while (end > start && isRegexSpace(expr.charAt(end - 1))) {
      end--;
    }
    String inner = expr.substring(start, end);
    if (inner.isBlank()) {
      return expr;
    }
    return expr.substring(0, start) + "pystr_out_0(" + inner + ")" + expr.substring(end);
  }

  /** The characters of the regex class {@code \s}. */
  private static boolean isRegexSpace(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\u000B' || c == '\f' || c == '\r';
  }

  private static String rewriteStatement(String body, int[] counter) {
    Matcher m = SET_NAMESPACE.matcher(body);
    if (!m.matches()) {
      return "{%" + body + "%}";
    }
    String args = m.group(2);
    if (depthAtEnd(args) != 0) {
      return "{%" + body + "%}";
    }
    StringBuilder pre = new StringBuilder();
    List<String> newArgs = new ArrayList<>();
    for (String arg : splitTopLevel(args)) {
      Matcher kw = KEYWORD_ARG.matcher(arg);
      if (arg.isBlank() || !kw.matches() || PLAIN_VALUE.matcher(kw.group(2)).matches()
          || TemplateCode.isStringLiteral(kw.group(2).strip())) {
        newArgs.add(arg);
        continue;
      }
      String var = "__zns_" + counter[0]++;
      pre.append("{% set ").append(var).append(" = ").append(kw.group(2).trim()).append(" %}");
      newArgs.add(kw.group(1) + "=" + var);
    }
    if (pre.length() == 0) {
      return "{%" + body + "%}";
    }
    // Keep the original tag's left whitespace control on the first emitted tag.
    boolean leftTrim = body.startsWith("-");
    String first = leftTrim ? "{%-" + pre.substring(2) : pre.toString();
    String set = m.group(1).replaceFirst("^-", "");
    return first + "{%" + set + String.join(",", newArgs) + m.group(3) + "%}";
  }

  /** Rewrites method calls and reverse slices in one expression, leftmost first, until none is left. */
  static String rewriteExpression(String expr) {
    // Each rewrite rescans the expression, so refuse up front what would take more than MAX_REWRITES of them.
    String blankedExpr = blankLiterals(expr);
    if (METHOD.matcher(blankedExpr).results().count() + REVERSE_SLICE.matcher(blankedExpr).results().count()
        > MAX_REWRITES) {
      throw new TemplateException("chat template expression too complex to rewrite (more than " + MAX_REWRITES
          + " Python method calls and reverse slices): " + TemplateCode.abbreviate(expr));
    }
    String s = expr;
    for (int guard = 0; guard < MAX_REWRITES; guard++) {
      String blanked = blankLiterals(s);
      Matcher slice = REVERSE_SLICE.matcher(blanked);
      Matcher method = METHOD.matcher(blanked);
      boolean hasSlice = slice.find();
      boolean hasMethod = method.find();
      if (!hasSlice && !hasMethod) {
        return s;
      }
      if (hasSlice && (!hasMethod || slice.start() < method.start())) {
        int start = receiverStart(blanked, slice.start());
        if (start == slice.start()) {
          return s;
        }
        s = s.substring(0, start) + "(" + s.substring(start, slice.start()) + "|reverse)" + s.substring(slice.end());
        continue;
      }
      int dot = method.start();
      int start = receiverStart(blanked, dot);
      if (start == dot) {
        return s;
      }
      int open = method.end() - 1;
      int close = matching(blanked, open);
      if (close < 0) {
        return s;
      }
      String args = s.substring(open + 1, close);
      int arity = args.isBlank() ? 0 : splitTopLevel(blankLiterals(args)).size();
      String call = "pystr_" + method.group(1) + "_" + arity + "(" + s.substring(start, dot)
          + (arity == 0 ? "" : ", " + args) + ")";
      s = s.substring(0, start) + call + s.substring(close + 1);
    }
    throw new TemplateException("chat template expression too complex to rewrite: " + TemplateCode.abbreviate(expr));
  }


  /** Start of the postfix chain (names, dots, calls, subscripts, literals, groups) that ends just before {@code end}. */
  private static int receiverStart(String blanked, int end) {
    int i = end - 1;
    while (i >= 0) {
      char c = blanked.charAt(i);
      if (c == ')' || c == ']') {
        int open = matchingBackwards(blanked, i);
        if (open < 0) {
          break;
        }
        i = open - 1;
      } else if (c == '\'' || c == '"') {
        int open = blanked.lastIndexOf(c, i - 1);
        if (open < 0) {
          break;
        }
        i = open - 1;
      } else if (Character.isLetterOrDigit(c) || c == '_' || c == '.') {
        i--;
      } else {
        break;
      }
    }
    return i + 1;
  }

  /** Index of the bracket closing the one at {@code open}, or -1 when it is never closed. */
  static int matching(String s, int open) {
    int depth = 0;
    for (int i = open; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '(' || c == '[' || c == '{') {
        depth++;
      } else if (c == ')' || c == ']' || c == '}') {
        if (--depth == 0) {
          return i;
        }
      }
    }
    return -1;
  }

  private static int matchingBackwards(String s, int close) {
    int depth = 0;
    for (int i = close; i >= 0; i--) {
      char c = s.charAt(i);
      if (c == ')' || c == ']' || c == '}') {
        depth++;
      } else if (c == '(' || c == '[' || c == '{') {
        if (--depth == 0) {
          return i;
        }
      }
    }
    return -1;
  }

  /** Same length as {@code s}, with the inside of string literals replaced by spaces (quotes kept). */
  static String blankLiterals(String s) {
    StringBuilder b = new StringBuilder(s);
    char quote = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (quote == 0) {
        if (c == '\'' || c == '"') {
          quote = c;
        }
      } else if (c == '\\' && i + 1 < s.length()) {
        b.setCharAt(i, ' ');
        b.setCharAt(i + 1, ' ');
        i++;
      } else if (c == quote) {
        quote = 0;
      } else {
        b.setCharAt(i, ' ');
      }
    }
    return b.toString();
  }

  private static int depthAtEnd(String s) {
    String b = blankLiterals(s);
    int depth = 0;
    for (char c : b.toCharArray()) {
      if (c == '(' || c == '[' || c == '{') {
        depth++;
      } else if (c == ')' || c == ']' || c == '}') {
        depth--;
      }
    }
    return depth;
  }

  /** Splits on commas outside brackets and string literals. */
  static List<String> splitTopLevel(String s) {
    String b = blankLiterals(s);
    List<String> out = new ArrayList<>();
    int depth = 0;
    int start = 0;
    for (int i = 0; i < b.length(); i++) {
      char c = b.charAt(i);
      if (c == '(' || c == '[' || c == '{') {
        depth++;
      } else if (c == ')' || c == ']' || c == '}') {
        depth--;
      } else if (c == ',' && depth == 0) {
        out.add(s.substring(start, i));
        start = i + 1;
      }
    }
    out.add(s.substring(start));
    return out;
  }

  /** Registers the {@code pystr_*} functions. */
  static void register(Jinjava jinjava) {
    fn(jinjava, "out", 0);
    fn(jinjava, "startswith", 1);
    fn(jinjava, "endswith", 1);
    fn(jinjava, "split", 0);
    fn(jinjava, "split", 1);
    fn(jinjava, "split", 2);
    fn(jinjava, "lstrip", 0);
    fn(jinjava, "lstrip", 1);
    fn(jinjava, "rstrip", 0);
    fn(jinjava, "rstrip", 1);
    fn(jinjava, "strip", 0);
    fn(jinjava, "strip", 1);
    fn(jinjava, "upper", 0);
    fn(jinjava, "lower", 0);
    fn(jinjava, "title", 0);
    fn(jinjava, "capitalize", 0);
    fn(jinjava, "replace", 2);
    fn(jinjava, "replace", 3);
    fn(jinjava, "join", 1);
  }

  private static void fn(Jinjava jinjava, String name, int arity) {
    Class<?>[] params = new Class<?>[arity + 1];
    java.util.Arrays.fill(params, Object.class);
    jinjava.registerFunction(new ELFunctionDefinition("", "pystr_" + name + "_" + arity, PyStr.class,
        name + arity, params));
  }

  /** Python {@code str} methods, called by rewritten templates. */
  public static final class PyStr {
    private PyStr() {}

    private static String str(Object o, String method) {
      if (o instanceof String s) {
        return s;
      }
      if (o instanceof CharSequence cs) {
        return cs.toString();
      }
      throw new TemplateException("'" + (o == null ? "None" : o.getClass().getSimpleName())
          + "' object has no attribute '" + method + "'");
    }

    /** Printing: Python's {@code str(True)} is {@code "True"}; everything else is printed by Jinjava as before. */
    public static Object out0(Object value) {
      if (value instanceof Boolean || value instanceof Collection<?> || value instanceof java.util.Map<?, ?>) {
        StringBuilder sb = new StringBuilder();
        repr(sb, value, false);
        return sb.toString();
      }
      return value;
    }

    /** Python's str() (top level) and repr() (inside containers) for JSON-like values. */
    static void repr(StringBuilder sb, Object v, boolean quoted) {
      if (v == null) {
        sb.append("None");
      } else if (v instanceof Boolean b) {
        sb.append(b ? "True" : "False");
      } else if (v instanceof Double || v instanceof Float || v instanceof java.math.BigDecimal) {
        sb.append(PyJson.pyFloat(((Number) v).doubleValue()));
      } else if (v instanceof Number n) {
        sb.append(n);
      } else if (v instanceof java.util.Map.Entry<?, ?> e) {
        sb.append('(');
        repr(sb, e.getKey(), true);
        sb.append(", ");
        repr(sb, e.getValue(), true);
        sb.append(')');
      } else if (v instanceof java.util.Map<?, ?> m) {
        sb.append('{');
        boolean first = true;
        for (java.util.Map.Entry<?, ?> e : m.entrySet()) {
          sb.append(first ? "" : ", ");
          first = false;
          repr(sb, e.getKey(), true);
          sb.append(": ");
          repr(sb, e.getValue(), true);
          TemplateGuard.length(sb.length());
        }
        sb.append('}');
      } else if (v instanceof Collection<?> c) {
        sb.append('[');
        boolean first = true;
        for (Object o : c) {
          sb.append(first ? "" : ", ");
          first = false;
          repr(sb, o, true);
          TemplateGuard.length(sb.length());
        }
        sb.append(']');
      } else if (quoted) {
        quote(sb, v.toString());
      } else {
        sb.append(v);
      }
    }

    /** Python's repr of a str: single quotes unless the text has ' and no ". */
    private static void quote(StringBuilder sb, String s) {
      char q = s.indexOf('\'') >= 0 && s.indexOf('"') < 0 ? '"' : '\'';
      sb.append(q);
      for (int i = 0; i < s.length(); i++) {
        char c = s.charAt(i);
        switch (c) {
          case '\\' -> sb.append("\\\\");
          case '\n' -> sb.append("\\n");
          case '\r' -> sb.append("\\r");
          case '\t' -> sb.append("\\t");
          default -> {
            if (c == q) {
              sb.append('\\').append(c);
            } else if (c < 0x20 || c == 0x7f) {
              sb.append(String.format("\\x%02x", (int) c));
            } else {
              sb.append(c);
            }
          }
        }
      }
      sb.append(q);
    }

    public static boolean startswith1(Object s, Object prefix) {
      String str = str(s, "startswith");
      if (prefix instanceof Collection<?> c) {
        return c.stream().anyMatch(p -> str.startsWith(str(p, "startswith")));
      }
      return str.startsWith(str(prefix, "startswith"));
    }

    public static boolean endswith1(Object s, Object suffix) {
      String str = str(s, "endswith");
      if (suffix instanceof Collection<?> c) {
        return c.stream().anyMatch(p -> str.endsWith(str(p, "endswith")));
      }
      return str.endsWith(str(suffix, "endswith"));
    }

    public static List<String> split0(Object s) {
      return splitWhitespace(str(s, "split"), -1);
    }

    public static List<String> split1(Object s, Object sep) {
      return sep == null ? split0(s) : split(str(s, "split"), str(sep, "split"), -1);
    }

    public static List<String> split2(Object s, Object sep, Object maxsplit) {
      int max = ((Number) maxsplit).intValue();
      return sep == null ? splitWhitespace(str(s, "split"), max) : split(str(s, "split"), str(sep, "split"), max);
    }

    static List<String> split(String s, String sep, int max) {
      if (sep.isEmpty()) {
        throw new TemplateException("ValueError: empty separator");
      }
      List<String> out = new ArrayList<>();
      int from = 0;
      int at;
      while ((max < 0 || out.size() < max) && (at = s.indexOf(sep, from)) >= 0) {
        out.add(s.substring(from, at));
        from = at + sep.length();
      }
      out.add(s.substring(from));
      return out;
    }

    static List<String> splitWhitespace(String s, int max) {
      List<String> out = new ArrayList<>();
      int i = 0;
      int n = s.length();
      while (true) {
        while (i < n && isPySpace(s.charAt(i))) {
          i++;
        }
        if (i >= n) {
          break;
        }
        if (max >= 0 && out.size() == max) {
          // Python keeps the remainder with its trailing whitespace stripped.
          out.add(rstrip(s.substring(i), null));
          break;
        }
        int j = i;
        while (j < n && !isPySpace(s.charAt(j))) {
          j++;
        }
        out.add(s.substring(i, j));
        i = j;
      }
      return out;
    }

    public static String lstrip0(Object s) {
      return lstrip(str(s, "lstrip"), null);
    }

    public static String lstrip1(Object s, Object chars) {
      return lstrip(str(s, "lstrip"), chars == null ? null : str(chars, "lstrip"));
    }

    public static String rstrip0(Object s) {
      return rstrip(str(s, "rstrip"), null);
    }

    public static String rstrip1(Object s, Object chars) {
      return rstrip(str(s, "rstrip"), chars == null ? null : str(chars, "rstrip"));
    }

    public static String strip0(Object s) {
      return rstrip(lstrip(str(s, "strip"), null), null);
    }

    public static String strip1(Object s, Object chars) {
      String c = chars == null ? null : str(chars, "strip");
      return rstrip(lstrip(str(s, "strip"), c), c);
    }

    static String lstrip(String s, String chars) {
      int i = 0;
      while (i < s.length() && strips(s.charAt(i), chars)) {
        i++;
      }
      return s.substring(i);
    }

    static String rstrip(String s, String chars) {
      int i = s.length();
      while (i > 0 && strips(s.charAt(i - 1), chars)) {
        i--;
      }
      return s.substring(0, i);
    }

    private static boolean strips(char c, String chars) {
      return chars == null ? isPySpace(c) : chars.indexOf(c) >= 0;
    }

    /** Python's str.isspace for one BMP character. */
    static boolean isPySpace(char c) {
      return (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x20) || c == 0x85 || c == 0xa0
          || Character.isSpaceChar(c);
    }

    public static String upper0(Object s) {
      return str(s, "upper").toUpperCase(java.util.Locale.ROOT);
    }

    public static String lower0(Object s) {
      return str(s, "lower").toLowerCase(java.util.Locale.ROOT);
    }

    public static String title0(Object s) {
      String str = str(s, "title");
      StringBuilder b = new StringBuilder(str.length());
      boolean prevCased = false;
      for (char c : str.toCharArray()) {
        b.append(prevCased ? Character.toLowerCase(c) : Character.toTitleCase(c));
        prevCased = Character.isLetter(c);
      }
      return b.toString();
    }

    public static String capitalize0(Object s) {
      String str = str(s, "capitalize");
      return str.isEmpty() ? str
          : Character.toUpperCase(str.charAt(0)) + str.substring(1).toLowerCase(java.util.Locale.ROOT);
    }

    public static String replace2(Object s, Object old, Object replacement) {
      return replace3(s, old, replacement, -1L);
    }

    public static String replace3(Object s, Object old, Object replacement, Object count) {
      String str = str(s, "replace");
      String o = str(old, "replace");
      String r = str(replacement, "replace");
      int max = ((Number) count).intValue();
      checkReplacedLength(str, o, r, max);
      if (max < 0) {
        return str.replace(o, r);
      }
      StringBuilder b = new StringBuilder();
      int from = 0;
      for (int done = 0; done < max; done++) {
        int at = str.indexOf(o, from);
        if (at < 0 || o.isEmpty()) {
          break;
        }
        b.append(str, from, at).append(r);
        from = at + o.length();
      }
      return b.append(str.substring(from)).toString();
    }

    /** Fails before building a replacement result longer than the render's output limit allows. */
    private static void checkReplacedLength(String s, String old, String replacement, int max) {
      if (replacement.length() <= old.length()) {
        return;
      }
      long hits = 0;
      if (old.isEmpty()) {
        hits = s.length() + 1L;
      } else {
        for (int at = s.indexOf(old); at >= 0 && (max < 0 || hits < max); at = s.indexOf(old, at + old.length())) {
          hits++;
        }
      }
      TemplateGuard.length(s.length() + hits * (replacement.length() - old.length()));
    }

    public static String join1(Object sep, Object items) {
      String s = str(sep, "join");
      if (!(items instanceof Iterable<?> it)) {
        throw new TemplateException("can only join an iterable");
      }
      List<String> parts = new ArrayList<>();
      long length = 0;
      for (Object o : it) {
        String part = str(o, "join");
        length += part.length() + (parts.isEmpty() ? 0 : s.length());
        TemplateGuard.length(length);
        parts.add(part);
      }
      return String.join(s, parts);
    }
  }
}
