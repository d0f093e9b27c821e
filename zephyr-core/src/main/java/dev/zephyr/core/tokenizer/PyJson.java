package dev.zephyr.core.tokenizer;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * Serialises values exactly as Python's {@code json.dumps(x, ensure_ascii=False, indent=..., separators=...,
 * sort_keys=...)} does, which is what transformers' {@code tojson} filter calls. Maps keep their iteration order
 * (Python dicts keep insertion order), so callers should pass ordered maps.
 */
final class PyJson {
  private final String indent;
  private final String itemSeparator;
  private final String keySeparator;
  private final boolean sortKeys;

  /**
   * @param indent null for single-line output, else the string repeated per nesting level
   * @param separators null for Python's default, else {item separator, key separator}
   */
  PyJson(String indent, String[] separators, boolean sortKeys) {
    this.indent = indent;
    this.itemSeparator = separators != null ? separators[0] : indent == null ? ", " : ",";
    this.keySeparator = separators != null ? separators[1] : ": ";
    this.sortKeys = sortKeys;
  }

  static String dumps(Object value) {
    return new PyJson(null, null, false).write(value);
  }

  String write(Object value) {
    StringBuilder sb = new StringBuilder();
    write(sb, value, 0);
    return sb.toString();
  }

  private void write(StringBuilder sb, Object v, int level) {
    if (v == null) {
      sb.append("null");
    } else if (v instanceof Boolean b) {
      sb.append(b ? "true" : "false");
    } else if (v instanceof Double || v instanceof Float) {
      sb.append(pyFloat(((Number) v).doubleValue()));
    } else if (v instanceof BigDecimal bd) {
      sb.append(pyFloat(bd.doubleValue()));
    } else if (v instanceof Number n) {
      sb.append(n.toString());
    } else if (v instanceof Map<?, ?> m) {
      writeMap(sb, m, level);
    } else if (v instanceof Collection<?> c) {
      writeList(sb, new ArrayList<>(c), level);
    } else if (v instanceof Object[] a) {
      writeList(sb, List.of(a), level);
    } else {
      quote(sb, v.toString());
    }
    TemplateGuard.length(sb.length());
  }

  private void writeMap(StringBuilder sb, Map<?, ?> m, int level) {
    if (m.isEmpty()) {
      sb.append("{}");
      return;
    }
    List<Map.Entry<?, ?>> entries = new ArrayList<>(m.entrySet());
    if (sortKeys) {
      entries.sort((a, b) -> String.valueOf(a.getKey()).compareTo(String.valueOf(b.getKey())));
    }
    sb.append('{');
    boolean first = true;
    for (Map.Entry<?, ?> e : entries) {
      if (!first) {
        sb.append(itemSeparator);
      }
      first = false;
      newline(sb, level + 1);
      quote(sb, String.valueOf(e.getKey()));
      sb.append(keySeparator);
      write(sb, e.getValue(), level + 1);
    }
    newline(sb, level);
    sb.append('}');
  }

  private void writeList(StringBuilder sb, List<?> list, int level) {
    if (list.isEmpty()) {
      sb.append("[]");
      return;
    }
    sb.append('[');
    for (int i = 0; i < list.size(); i++) {
      if (i > 0) {
        sb.append(itemSeparator);
      }
      newline(sb, level + 1);
      write(sb, list.get(i), level + 1);
    }
    newline(sb, level);
    sb.append(']');
  }

  private void newline(StringBuilder sb, int level) {
    if (indent != null) {
      TemplateGuard.length(sb.length() + 1L + (long) indent.length() * level);
      sb.append('\n').append(indent.repeat(level));
    }
  }

  /** A JSON string literal with only the escapes json.dumps(ensure_ascii=False) makes. */
  static void quote(StringBuilder sb, String s) {
    sb.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        case '\b' -> sb.append("\\b");
        case '\f' -> sb.append("\\f");
        default -> {
          if (c < 0x20) {
            sb.append(String.format("\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
        }
      }
    }
    sb.append('"');
  }

  /** Python's float repr: shortest round-trip digits, scientific notation below 1e-4 and from 1e16. */
  static String pyFloat(double d) {
    if (Double.isNaN(d)) {
      return "NaN";
    }
    if (Double.isInfinite(d)) {
      return d > 0 ? "Infinity" : "-Infinity";
    }
    if (d == 0) {
      return (1 / d < 0) ? "-0.0" : "0.0";
    }
    BigDecimal bd = new BigDecimal(Double.toString(d)).stripTrailingZeros();
    String digits = bd.unscaledValue().abs().toString();
    int exp = digits.length() - 1 - bd.scale();
    String sign = d < 0 ? "-" : "";
    if (exp >= -4 && exp < 16) {
      String plain = bd.abs().toPlainString();
      return sign + (plain.contains(".") ? plain : plain + ".0");
    }
    String mantissa = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
    return sign + mantissa + "e" + (exp < 0 ? "-" : "+") + String.format("%02d", Math.abs(exp));
  }
}
