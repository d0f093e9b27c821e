package dev.zephyr.train.export;

import dev.zephyr.core.io.Json;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Writes the small YAML subset the handbook configs use (mappings, block lists, scalars) with the number forms
 * PyYAML reads back as the same type: {@code 2.0e-05}-style floats with a signed exponent and a decimal point (a bare
 * {@code 1e-5} would be read as a string by YAML 1.1), strings in double quotes (so {@code no} or {@code 1e3} stay
 * strings).
 */
final class HandbookYaml {
  private HandbookYaml() {}

  /** The mapping as YAML, preceded by {@code comment} lines; a key mapped to a {@link Section} starts a group. */
  static String write(List<String> comment, Map<String, Object> map) {
    StringBuilder sb = new StringBuilder();
    for (String line : comment) {
      sb.append(line.isEmpty() ? "#" : "# " + line).append('\n');
    }
    mapping(sb, map, 0);
    return sb.toString();
  }

  /** A comment line that introduces the keys after it. */
  record Section(String title) {}

  private static void mapping(StringBuilder sb, Map<String, ?> map, int indent) {
    String pad = " ".repeat(indent);
    for (Map.Entry<String, ?> e : map.entrySet()) {
      Object v = e.getValue();
      if (v instanceof Section s) {
        sb.append(sb.isEmpty() ? "" : "\n").append(pad).append("# ").append(s.title()).append('\n');
        continue;
      }
      sb.append(pad).append(e.getKey()).append(':');
      if (v instanceof Map<?, ?> m && !m.isEmpty()) {
        sb.append('\n');
        @SuppressWarnings("unchecked")
        Map<String, ?> nested = (Map<String, ?>) m;
        mapping(sb, nested, indent + 2);
      } else if (v instanceof List<?> list && !list.isEmpty()) {
        sb.append('\n');
        for (Object item : list) {
          if (item instanceof Map<?, ?> m) {
            @SuppressWarnings("unchecked")
            Map<String, ?> nested = (Map<String, ?>) m;
            StringBuilder inner = new StringBuilder();
            mapping(inner, nested, indent + 4);
            // the first key of a list item sits after its dash
            sb.append(pad).append("  - ").append(inner.substring(indent + 4));
          } else {
            sb.append(pad).append("  - ").append(scalar(item)).append('\n');
          }
        }
      } else {
        sb.append(' ').append(scalar(v)).append('\n');
      }
    }
  }

  static String scalar(Object v) {
    if (v == null) {
      return "null";
    }
    if (v instanceof Boolean || v instanceof Integer || v instanceof Long) {
      return v.toString();
    }
    if (v instanceof Double d) {
      return number(d);
    }
    if (v instanceof List<?> l && l.isEmpty()) {
      return "[]";
    }
    try {
      return Json.mapper().writeValueAsString(v.toString());
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** {@code 2.0e-05}, {@code 0.1}, {@code 1.0}: Python's float repr with a decimal point kept in the mantissa. */
  static String number(double d) {
    if (Double.isNaN(d) || Double.isInfinite(d)) {
      throw new IllegalArgumentException("not a finite number: " + d);
    }
    String s = Double.toString(d);
    int e = s.indexOf('E');
    if (e < 0) {
      return s;
    }
    String mantissa = s.substring(0, e);
    int exp = Integer.parseInt(s.substring(e + 1));
    return String.format(Locale.ROOT, "%se%s%02d", mantissa, exp < 0 ? "-" : "+", Math.abs(exp));
  }
}
