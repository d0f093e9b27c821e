package dev.zephyr.data.selfchat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.zephyr.core.InvalidInputException;
import dev.zephyr.core.io.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Where a self-chat conversation starts: either an opening {@link Kind#QUESTION} used verbatim as the first user turn,
 * or a {@link Kind#TOPIC} from which the user simulator writes the opening.
 *
 * @param id stable identifier; a rerun skips seeds whose id is already in the output
 */
public record ChatSeed(String id, Kind kind, String text) {
  /** The two kinds of seed. */
  public enum Kind { QUESTION, TOPIC }

  /**
   * Loads seeds. A {@code .jsonl} file holds objects with {@code "question"} (or {@code "prompt"}) or {@code "topic"},
   * and an optional {@code "id"}; any other file holds one question per non-blank line. Missing ids are
   * {@code seed-<line>}.
   */
  public static List<ChatSeed> load(Path file) {
    List<String> lines;
    try {
      lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read seeds " + file, e);
    }
    boolean jsonl = file.getFileName().toString().endsWith(".jsonl");
    List<ChatSeed> seeds = new ArrayList<>();
    Set<String> ids = new HashSet<>();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i);
      if (line.isBlank()) {
        continue;
      }
      ChatSeed seed;
      if (jsonl) {
        JsonNode n;
        try {
          n = Json.mapper().readTree(line);
        } catch (IOException e) {
          throw new InvalidInputException(file.toString(), i + 1, null, "not a JSON line: " + e.getMessage(), e);
        }
        String id = n.hasNonNull("id") ? n.get("id").asText() : "seed-" + (i + 1);
        if (n.hasNonNull("topic")) {
          seed = new ChatSeed(id, Kind.TOPIC, n.get("topic").asText());
        } else if (n.hasNonNull("question") || n.hasNonNull("prompt")) {
          seed = new ChatSeed(id, Kind.QUESTION, (n.hasNonNull("question") ? n.get("question") : n.get("prompt"))
              .asText());
        } else {
          throw new InvalidInputException(file.toString(), i + 1, "question",
              "expected one of \"question\", \"prompt\" or \"topic\"");
        }
      } else {
        seed = new ChatSeed("seed-" + (i + 1), Kind.QUESTION, line.strip());
      }
      if (!ids.add(seed.id())) {
        throw new InvalidInputException(file.toString(), i + 1, "id", "duplicate seed id '" + seed.id() + "'");
      }
      seeds.add(seed);
    }
    return seeds;
  }
}
