package dev.zephyr.data.clean;

import com.fasterxml.jackson.databind.JsonNode;
import dev.zephyr.core.InvalidInputException;
import dev.zephyr.core.io.Json;
import dev.zephyr.core.io.Jsonl;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Evaluation prompts to decontaminate against, read from the benchmarks' own file layouts. */
public final class EvalPrompts {
  private EvalPrompts() {}

  /** One evaluation prompt and where it came from ({@code mt_bench:81:1}, {@code alpaca_eval:12}). */
  public record EvalPrompt(String source, String text) {}

  /** Every turn of FastChat's MT-Bench {@code question.jsonl}. */
  public static List<EvalPrompt> mtBench(Path questionJsonl) {
    List<EvalPrompt> out = new ArrayList<>();
    // the reader's own line number, so a blank line before a bad record does not shift the one reported
    try (Jsonl.Reader<JsonNode> r = Jsonl.reader(questionJsonl, JsonNode.class, Jsonl.OnError.FAIL)) {
      while (r.hasNext()) {
        JsonNode q = r.next();
        JsonNode turns = q.get("turns");
        if (turns == null || !turns.isArray()) {
          throw new InvalidInputException(questionJsonl.toString(), r.lineNumber(), "turns",
              "expected an array of strings");
        }
        for (int t = 0; t < turns.size(); t++) {
          out.add(new EvalPrompt("mt_bench:" + q.path("question_id").asText() + ":" + (t + 1),
              turns.get(t).asText()));
        }
      }
    }
    return out;
  }

  /** The {@code instruction} of every entry of an alpaca_eval JSON array (the eval set or a model_outputs file). */
  public static List<EvalPrompt> alpacaEval(Path json) {
    JsonNode root;
    try {
      root = Json.mapper().readTree(json.toFile());
    } catch (IOException e) {
      throw new InvalidInputException(json.toString(), 0, null, "not valid JSON: " + e.getMessage(), e);
    }
    if (!root.isArray()) {
      throw new InvalidInputException(json.toString(), 0, null, "expected a JSON array of {instruction, ...}");
    }
    List<EvalPrompt> out = new ArrayList<>();
    for (int i = 0; i < root.size(); i++) {
      JsonNode ins = root.get(i).get("instruction");
      if (ins == null || !ins.isTextual()) {
        throw new InvalidInputException(json.toString(), 0, "[" + i + "].instruction", "missing or not a string");
      }
      out.add(new EvalPrompt("alpaca_eval:" + i, ins.asText()));
    }
    return out;
  }
}
