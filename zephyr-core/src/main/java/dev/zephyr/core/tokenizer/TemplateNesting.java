package dev.zephyr.core.tokenizer;

import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How deeply a template's source nests: open blocks ({@code for}, {@code if}, {@code macro}...) plus open brackets
 * inside the code at any point. Jinjava parses and renders both recursively, so a template nested thousands deep would
 * overflow the Java stack (and deeply nested brackets parse in quadratic time); measuring the source first lets such a
 * template be refused by {@link TemplateLimits#maxDepth} before Jinjava sees it.
 */
final class TemplateNesting {
  /** Tags that take an end tag ({@code set} only in its block form, without {@code =}). */
  private static final Set<String> BLOCKS = Set.of("for", "if", "macro", "call", "filter", "raw", "generation",
      "block", "autoescape", "unless", "ifchanged", "set");
  private static final Pattern TAG_NAME = Pattern.compile("^[-+]?\\s*([A-Za-z_][A-Za-z0-9_]*)");

  private TemplateNesting() {}

  /** The deepest nesting of blocks plus brackets anywhere in {@code source}; 0 for plain text. */
  static int depth(String source) {
    int blocks = 0;
    int deepest = 0;
    boolean inRaw = false;
    for (TemplateCode.Block code : TemplateCode.blocks(source)) {
      String body = code.body();
      String name = code.statement() ? tagName(body) : "";
      if (inRaw) {
        if (name.equals("endraw")) {
          inRaw = false;
          blocks--;
        }
        continue;
      }
      if (name.startsWith("end")) {
        blocks = Math.max(0, blocks - 1);
        continue;
      }
      deepest = Math.max(deepest, blocks + bracketDepth(body));
      if (BLOCKS.contains(name) && !(name.equals("set") && PythonCompat.blankLiterals(body).indexOf('=') >= 0)) {
        blocks++;
        inRaw = name.equals("raw");
        deepest = Math.max(deepest, blocks);
      }
    }
    return deepest;
  }

  private static String tagName(String body) {
    Matcher m = TAG_NAME.matcher(body);
    return m.find() ? m.group(1) : "";
  }

  /** The deepest bracket nesting in one piece of code, string literals ignored. */
  private static int bracketDepth(String code) {
    String blanked = PythonCompat.blankLiterals(code);
    int depth = 0;
    int deepest = 0;
    for (int i = 0; i < blanked.length(); i++) {
      char c = blanked.charAt(i);
      if (c == '(' || c == '[' || c == '{') {
        deepest = Math.max(deepest, ++depth);
      } else if (c == ')' || c == ']' || c == '}') {
        depth = Math.max(0, depth - 1);
      }
    }
    return deepest;
  }
}
