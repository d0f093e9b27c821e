package dev.zephyr.data.instruct;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import dev.zephyr.core.InvalidInputException;
import dev.zephyr.core.io.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A human-written task of the Self-Instruct seed file: {@code {id, name, instruction, instances: [{input, output}],
 * is_classification}}.
 */
public record SeedTask(
    @JsonProperty("id") String id,
    @JsonProperty("name") String name,
    @JsonProperty("instruction") String instruction,
    @JsonProperty("instances") List<Instance> instances,
    @JsonProperty("is_classification") boolean isClassification) {

  public SeedTask {
    instances = instances == null ? List.of() : List.copyOf(instances);
  }

  /** One input/output example of a task; {@code input} is empty when the task needs none. */
  public record Instance(@JsonProperty("input") String input, @JsonProperty("output") String output) {}

  /** Loads a seed file; a line without an instruction is an error naming file and line. */
  public static List<SeedTask> load(Path file) {
    List<String> lines;
    try {
      lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read seed tasks " + file, e);
    }
    List<SeedTask> tasks = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i);
      if (line.isBlank()) {
        continue;
      }
      SeedTask task;
      try {
        JsonNode node = Json.mapper().readTree(line);
        task = Json.mapper().treeToValue(node, SeedTask.class);
      } catch (IOException e) {
        throw new InvalidInputException(file.toString(), i + 1, null, "not a seed task JSON line: " + e.getMessage(), e);
      }
      if (task.instruction() == null || task.instruction().isBlank()) {
        throw new InvalidInputException(file.toString(), i + 1, "instruction", "missing or empty");
      }
      tasks.add(task);
    }
    if (tasks.isEmpty()) {
      throw new InvalidInputException(file.toString(), 0, null, "no seed tasks");
    }
    return tasks;
  }
}
