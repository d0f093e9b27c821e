package dev.zephyr.eval.mtbench;

import dev.zephyr.core.TemplateException;
import java.util.Map;

/**
 * Python's {@code str.format} for named fields, the way FastChat fills judge prompts: {@code {name}} is replaced by
 * its value (values are inserted verbatim, never re-scanned), {@code {{} and {@code }}} stand for literal braces.
 * Conversions and format specs are not supported and are rejected, as is a field without a value.
 */
final class PyFormat {
  private PyFormat() {}

  static String format(String template, Map<String, String> values) {
    StringBuilder out = new StringBuilder(template.length() + 256);
    int i = 0;
    int n = template.length();
    while (i < n) {
      char c = template.charAt(i);
      if (c == '{') {
        if (i + 1 < n && template.charAt(i + 1) == '{') {
          out.append('{');
          i += 2;
          continue;
        }
        int end = template.indexOf('}', i);
        if (end < 0) {
          throw new TemplateException("Single '{' encountered in format string at offset " + i);
        }
        String field = template.substring(i + 1, end);
        if (field.contains("!") || field.contains(":") || field.contains("{")) {
          throw new TemplateException("unsupported replacement field {" + field + "}");
        }
        String value = values.get(field);
        if (value == null) {
          throw new TemplateException("judge prompt needs a value for {" + field + "}");
        }
        out.append(value);
        i = end + 1;
      } else if (c == '}') {
        if (i + 1 < n && template.charAt(i + 1) == '}') {
          out.append('}');
          i += 2;
          continue;
        }
        throw new TemplateException("Single '}' encountered in format string at offset " + i);
      } else {
        out.append(c);
        i++;
      }
    }
    return out.toString();
  }
}
