package dev.zephyr.eval.report;

import com.fasterxml.jackson.databind.JsonNode;
import dev.zephyr.core.InvalidInputException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The Markdown tables lm-evaluation-harness prints for a results file ({@code make_table}): one row per task and
 * metric with the task's alias and version on its first row, the filter, the few-shot count, the value and its
 * standard error to four decimals; a second table for the groups (MMLU and its categories) when there are any.
 */
public final class LmEvalTable {
  private static final List<String> HEADER = List.of("Tasks", "Version", "Filter", "n-shot", "Metric", "", "Value",
      "", "Stderr");

  private LmEvalTable() {}

  /** The tasks table, then the groups table when the file has groups; each ends in a newline. */
  public static String render(JsonNode resultsFile, String source) {
    JsonNode results = resultsFile.get("results");
    if (results == null || !results.isObject() || results.isEmpty()) {
      throw InvalidInputException.field(source, "results", "not an lm-eval results file (no results)");
    }
    StringBuilder sb = new StringBuilder(table(resultsFile, "results", "Tasks").render());
    JsonNode groups = resultsFile.get("groups");
    if (groups != null && groups.isObject() && !groups.isEmpty()) {
      sb.append('\n').append(table(resultsFile, "groups", "Groups").render());
    }
    return sb.toString();
  }

  /** The table of the {@code results} or {@code groups} section. */
  public static MarkdownTable table(JsonNode resultsFile, String section, String firstColumn) {
    List<String> header = new ArrayList<>(HEADER);
    header.set(0, firstColumn);
    MarkdownTable t = new MarkdownTable(header);
    JsonNode versions = resultsFile.path("versions");
    JsonNode nShot = resultsFile.path("n-shot");
    for (Iterator<Map.Entry<String, JsonNode>> it = resultsFile.get(section).fields(); it.hasNext();) {
      Map.Entry<String, JsonNode> task = it.next();
      JsonNode row = task.getValue();
      String name = row.has("alias") ? row.get("alias").asText() : task.getKey();
      String version = versions.has(task.getKey()) ? number(versions.get(task.getKey())) : "N/A";
      String shots = nShot.has(task.getKey()) ? nShot.get(task.getKey()).asText() : "";
      Map<String, JsonNode> metrics = new TreeMap<>();
      row.fields().forEachRemaining(e -> metrics.put(e.getKey(), e.getValue()));
      for (Map.Entry<String, JsonNode> m : metrics.entrySet()) {
        String key = m.getKey();
        int comma = key.indexOf(',');
        if (key.equals("alias") || comma < 0) {
          continue;
        }
        String metric = key.substring(0, comma);
        String filter = key.substring(comma + 1);
        if (metric.endsWith("_stderr")) {
          continue;
        }
        JsonNode se = row.get(metric + "_stderr," + filter);
        t.row(List.of(name, version, filter, shots, metric, "↑", value(m.getValue()), se == null ? "" : "±",
            se == null ? "" : value(se)));
        name = "";
        version = "";
      }
    }
    return t;
  }

  private static String value(JsonNode v) {
    return v.isNumber() ? String.format(Locale.ROOT, "%.4f", v.asDouble()) : v.asText();
  }

  private static String number(JsonNode v) {
    return v.isNumber() && v.asDouble() == Math.rint(v.asDouble()) && !v.isIntegralNumber()
        ? String.format(Locale.ROOT, "%.1f", v.asDouble()) : v.asText();
  }
}
