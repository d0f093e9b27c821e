package dev.zephyr.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Model.CommandSpec;

/**
 * The "YAML keys" footer of {@code zephyr sft --help} and {@code zephyr dpo --help}, made from the key lists the recipe
 * parser itself checks against ({@code Recipes.sftKeys()}, {@code Recipes.dpoKeys()}), so help and code cannot drift.
 */
final class RecipeKeysHelp {
  private static final int WIDTH = 80;

  private RecipeKeysHelp() {}

  /** Sets {@code spec}'s footer to the key groups, each wrapped under its name. */
  static void addTo(CommandSpec spec, Map<String, List<String>> groups) {
    spec.usageMessage().footer(lines(groups).toArray(String[]::new));
  }

  static List<String> lines(Map<String, List<String>> groups) {
    List<String> lines = new ArrayList<>();
    lines.add("");
    lines.add("YAML keys (alignment-handbook / TRL names, see zephyr-train/README.md).");
    lines.add("Python-stack keys such as push_to_hub or report_to pass with a warning;");
    lines.add("other keys, and keys not supported yet (bf16: true, fp16: true...), are refused.");
    int nameWidth = groups.keySet().stream().mapToInt(String::length).max().orElse(0) + 4;
    for (Map.Entry<String, List<String>> g : groups.entrySet()) {
      String indent = " ".repeat(nameWidth);
      StringBuilder line = new StringBuilder(String.format("  %-" + (nameWidth - 2) + "s", g.getKey() + ":"));
      boolean first = true;
      for (String key : g.getValue()) {
        String item = (first ? "" : " ") + key + ",";
        if (!first && line.length() + item.length() > WIDTH) {
          lines.add(line.toString());
          line = new StringBuilder(indent);
          item = item.strip();
        }
        line.append(item);
        first = false;
      }
      lines.add(line.substring(0, line.length() - 1)); // no comma after the last key
    }
    return lines;
  }
}
