package dev.zephyr.train.export;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.zephyr.core.InvalidInputException;
import dev.zephyr.core.io.Jsonl;
import dev.zephyr.data.io.DatasetRows;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Rewrites a dataset file (JSONL or Parquet, any of the layouts zephyr trains on) as JSON Lines with exactly the
 * columns TRL's trainers take: {@code messages} for SFT; {@code prompt}, {@code chosen}, {@code rejected} for DPO,
 * in TRL's explicit-prompt form (the prompt turns once, each completion without them), as zephyr splits the pairs.
 */
final class TrlRows {
  /** The SFT columns. */
  static final List<String> SFT_COLUMNS = List.of("messages");
  /** The DPO columns. */
  static final List<String> DPO_COLUMNS = List.of("prompt", "chosen", "rejected");

  private TrlRows() {}

  /** Appends the SFT rows of {@code source} to {@code out}; returns the row count. */
  static long sft(Path source, BufferedWriter out) {
    return copy(source, out, (row, line) -> {
      JsonNode messages = row.get("messages");
      if (messages == null || !messages.isArray() || messages.isEmpty()) {
        throw new InvalidInputException(source.toString(), line, "messages", "expected a non-empty list of"
            + " {role, content} turns (TRL's conversational format; prompt/completion and text rows are not"
            + " exported)");
      }
      ObjectNode o = JsonNodeFactory.instance.objectNode();
      o.set("messages", turns(messages, source, line, "messages"));
      return o;
    });
  }

  /** Appends the preference pairs of {@code source} to {@code out}; returns the row count. */
  static long dpo(Path source, BufferedWriter out) {
    return copy(source, out, (row, line) -> pair(row, source.toString(), line));
  }

  private static ObjectNode pair(JsonNode row, String source, long line) {
    JsonNode chosen = row.get("chosen");
    JsonNode rejected = row.get("rejected");
    JsonNode prompt = row.get("prompt");
    if (chosen == null || rejected == null) {
      throw new InvalidInputException(source, line, chosen == null ? "chosen" : "rejected", "missing");
    }
    ObjectNode o = JsonNodeFactory.instance.objectNode();
    if (chosen.isTextual() && rejected.isTextual()) {
      if (prompt == null || !prompt.isTextual()) {
        throw new InvalidInputException(source, line, "prompt", "string pairs need a string 'prompt'");
      }
      o.put("prompt", prompt.asText());
      o.put("chosen", chosen.asText());
      o.put("rejected", rejected.asText());
      return o;
    }
    ArrayNode c = turns(chosen, Path.of(source), line, "chosen");
    ArrayNode r = turns(rejected, Path.of(source), line, "rejected");
    ArrayNode p;
    if (prompt == null || prompt.isNull()) {
      int k = 0;
      while (k < c.size() && k < r.size() && c.get(k).equals(r.get(k))) {
        k++;
      }
      if (k == 0) {
        throw new InvalidInputException(source, line, "prompt", "no 'prompt' column and chosen/rejected share no"
            + " leading turn");
      }
      p = slice(c, 0, k);
    } else if (prompt.isTextual()) {
      p = JsonNodeFactory.instance.arrayNode();
      p.addObject().put("role", "user").put("content", prompt.asText());
    } else {
      p = turns(prompt, Path.of(source), line, "prompt");
    }
    c = withoutPrefix(c, p);
    r = withoutPrefix(r, p);
    if (c.isEmpty() || r.isEmpty()) {
      throw new InvalidInputException(source, line, "chosen", "chosen and rejected need a completion turn");
    }
    o.set("prompt", p);
    o.set("chosen", c);
    o.set("rejected", r);
    return o;
  }

  /** The turns with their role and content only (extra keys such as a per-turn id are not TRL's). */
  private static ArrayNode turns(JsonNode node, Path source, long line, String field) {
    if (!node.isArray() || node.isEmpty()) {
      throw new InvalidInputException(source.toString(), line, field, "expected a non-empty list of turns");
    }
    ArrayNode out = JsonNodeFactory.instance.arrayNode();
    for (JsonNode m : node) {
      if (!m.path("role").isTextual() || !m.path("content").isTextual()) {
        throw new InvalidInputException(source.toString(), line, field, "each turn needs a string role and content");
      }
      out.addObject().put("role", m.get("role").asText()).put("content", m.get("content").asText());
    }
    return out;
  }

  private static ArrayNode withoutPrefix(ArrayNode turns, ArrayNode prefix) {
    if (turns.size() <= prefix.size()) {
      return turns;
    }
    for (int i = 0; i < prefix.size(); i++) {
      if (!turns.get(i).equals(prefix.get(i))) {
        return turns;
      }
    }
    return slice(turns, prefix.size(), turns.size());
  }

  private static ArrayNode slice(ArrayNode a, int from, int to) {
    ArrayNode out = JsonNodeFactory.instance.arrayNode();
    for (int i = from; i < to; i++) {
      out.add(a.get(i));
    }
    return out;
  }

  @FunctionalInterface
  private interface RowMap {
    ObjectNode apply(JsonNode row, long line);
  }

  private static long copy(Path source, BufferedWriter out, RowMap map) {
    long[] rows = {0};
    DatasetRows.forEach(source, Jsonl.OnError.FAIL, row -> {
      try {
        out.write(Jsonl.toLine(map.apply(row.value(), row.line())));
        out.write('\n');
        rows[0]++;
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    });
    return rows[0];
  }

  /** Opens a UTF-8 writer for a new file. */
  static BufferedWriter create(Path file) throws IOException {
    Files.createDirectories(file.getParent());
    return Files.newBufferedWriter(file, StandardCharsets.UTF_8);
  }
}
