package dev.zephyr.eval.alpacaeval;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small reader for Python literals as {@code ast.literal_eval} accepts them in judge answers: lists, tuples, dicts,
 * single- or double-quoted strings (with the usual escapes), ints, floats, {@code True}/{@code False}/{@code None}.
 * Lists and tuples become {@link List}, dicts {@link LinkedHashMap}, ints {@link Long} or {@link BigInteger}.
 */
final class PythonLiteral {
  private final String s;
  private int pos;

  private PythonLiteral(String s) {
    this.s = s;
  }

  /** Parses the whole text as one literal; throws {@link IllegalArgumentException} when it is not one. */
  static Object parse(String text) {
    PythonLiteral p = new PythonLiteral(text);
    p.skipSpace();
    Object v = p.value();
    p.skipSpace();
    if (p.pos != p.s.length()) {
      throw p.error("trailing text");
    }
    return v;
  }

  private IllegalArgumentException error(String what) {
    return new IllegalArgumentException(what + " at offset " + pos + " of a Python literal");
  }

  private void skipSpace() {
    while (pos < s.length() && Character.isWhitespace(s.charAt(pos))) {
      pos++;
    }
  }

  private Object value() {
    if (pos >= s.length()) {
      throw error("unexpected end");
    }
    char c = s.charAt(pos);
    switch (c) {
      case '[':
        return sequence('[', ']');
      case '(':
        return sequence('(', ')');
      case '{':
        return dict();
      case '\'':
      case '"':
        return string();
      default:
        break;
    }
    if (s.startsWith("True", pos)) {
      pos += 4;
      return Boolean.TRUE;
    }
    if (s.startsWith("False", pos)) {
      pos += 5;
      return Boolean.FALSE;
    }
    if (s.startsWith("None", pos)) {
      pos += 4;
      return null;
    }
    return number();
  }

  private List<Object> sequence(char open, char close) {
    pos++;
    List<Object> out = new ArrayList<>();
    skipSpace();
    while (pos < s.length() && s.charAt(pos) != close) {
      out.add(value());
      skipSpace();
      if (pos < s.length() && s.charAt(pos) == ',') {
        pos++;
        skipSpace();
      } else if (pos < s.length() && s.charAt(pos) != close) {
        throw error("expected ',' or '" + close + "'");
      }
    }
    if (pos >= s.length()) {
      throw error("unclosed '" + open + "'");
    }
    pos++;
    return out;
  }

  private Map<Object, Object> dict() {
    pos++;
    Map<Object, Object> out = new LinkedHashMap<>();
    skipSpace();
    while (pos < s.length() && s.charAt(pos) != '}') {
      Object key = value();
      skipSpace();
      if (pos >= s.length() || s.charAt(pos) != ':') {
        throw error("expected ':'");
      }
      pos++;
      skipSpace();
      out.put(key, value());
      skipSpace();
      if (pos < s.length() && s.charAt(pos) == ',') {
        pos++;
        skipSpace();
      } else if (pos < s.length() && s.charAt(pos) != '}') {
        throw error("expected ',' or '}'");
      }
    }
    if (pos >= s.length()) {
      throw error("unclosed '{'");
    }
    pos++;
    return out;
  }

  private String string() {
    char quote = s.charAt(pos++);
    StringBuilder sb = new StringBuilder();
    while (pos < s.length()) {
      char c = s.charAt(pos++);
      if (c == quote) {
        return sb.toString();
      }
      if (c == '\\' && pos < s.length()) {
        char e = s.charAt(pos++);
        switch (e) {
          case 'n' -> sb.append('\n');
          case 't' -> sb.append('\t');
          case 'r' -> sb.append('\r');
          case '\\', '\'', '"' -> sb.append(e);
          case '\n' -> { } // line continuation
          default -> sb.append('\\').append(e);
        }
      } else if (c == '\n') {
        throw error("newline inside a string");
      } else {
        sb.append(c);
      }
    }
    throw error("unterminated string");
  }

  private Object number() {
    int start = pos;
    if (pos < s.length() && (s.charAt(pos) == '-' || s.charAt(pos) == '+')) {
      pos++;
    }
    boolean isFloat = false;
    while (pos < s.length()) {
      char c = s.charAt(pos);
      if (Character.isDigit(c) || c == '_') {
        pos++;
      } else if (c == '.' || c == 'e' || c == 'E') {
        isFloat = true;
        pos++;
        if ((c == 'e' || c == 'E') && pos < s.length() && (s.charAt(pos) == '-' || s.charAt(pos) == '+')) {
          pos++;
        }
      } else {
        break;
      }
    }
    String t = s.substring(start, pos).replace("_", "");
    if (t.isEmpty() || t.equals("-") || t.equals("+")) {
      throw error("expected a value");
    }
    try {
      if (isFloat) {
        return Double.parseDouble(t);
      }
      BigInteger b = new BigInteger(t.startsWith("+") ? t.substring(1) : t);
      return b.bitLength() < 63 ? (Object) b.longValue() : b;
    } catch (NumberFormatException e) {
      throw error("bad number '" + t + "'");
    }
  }
}
