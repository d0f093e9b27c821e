package dev.zephyr.eval.mc;

import com.fasterxml.jackson.databind.JsonNode;
import dev.zephyr.core.InvalidInputException;
import dev.zephyr.core.io.Jsonl;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a multiple-choice task from JSONL, one item a line: {@code {"context": str, "choices": [str...], "gold": int}}
 * ({@code query} is accepted for {@code context}, {@code label} or {@code answer} for {@code gold}).
 */
public final class McTask {
  private McTask() {}

  public static List<McExample> read(Path file) {
    return read(file, "generic", "");
  }

  /**
   * Reads rows of a named dataset format (see {@link McFormats}; "generic" is the context/choices/gold layout).
   *
   * @param primer few-shot primer for {@code truthfulqa_mc1} (may be empty)
   */
  public static List<McExample> read(Path file, String format, String primer) {
    List<McExample> out = new ArrayList<>();
    List<JsonNode> lines = Jsonl.readAll(file);
    for (int i = 0; i < lines.size(); i++) {
      JsonNode n = lines.get(i);
      McExample converted = McFormats.convert(format, n, primer, file.toString(), i + 1);
      if (converted != null) {
        out.add(converted);
        continue;
      }
      JsonNode context = n.has("context") ? n.get("context") : n.get("query");
      JsonNode gold = n.has("gold") ? n.get("gold") : n.has("label") ? n.get("label") : n.get("answer");
      JsonNode choices = n.get("choices");
      if (context == null || !context.isTextual()) {
        throw new InvalidInputException(file.toString(), i + 1, "context", "expected a string");
      }
      if (choices == null || !choices.isArray() || choices.isEmpty()) {
        throw new InvalidInputException(file.toString(), i + 1, "choices", "expected a non-empty list of strings");
      }
      if (gold == null || !gold.canConvertToInt() || !gold.isIntegralNumber()) {
        throw new InvalidInputException(file.toString(), i + 1, "gold", "expected the index of the right choice");
      }
      List<String> cs = new ArrayList<>();
      for (JsonNode c : choices) {
        cs.add(c.asText());
      }
      if (gold.asInt() < 0 || gold.asInt() >= cs.size()) {
        throw new InvalidInputException(file.toString(), i + 1, "gold",
            "index " + gold.asInt() + " is outside the " + cs.size() + " choices");
      }
      out.add(new McExample(context.asText(), cs, gold.asInt()));
    }
    return out;
  }
}
