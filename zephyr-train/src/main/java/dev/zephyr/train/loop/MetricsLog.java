package dev.zephyr.train.loop;

import com.fasterxml.jackson.databind.JsonNode;
import dev.zephyr.core.CheckpointException;
import dev.zephyr.core.io.AtomicFiles;
import dev.zephyr.core.io.Json;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code metrics.jsonl}: one JSON object per logging step with Hugging Face / TRL keys ({@code loss},
 * {@code learning_rate}, {@code grad_norm}, {@code epoch}, {@code step}, {@code rewards/chosen}, ...). Each line is
 * flushed when written. On resume, lines after the checkpoint's step are dropped so the file reads as one run.
 */
public final class MetricsLog implements AutoCloseable {
  private final Path file;
  private BufferedWriter out;

  public MetricsLog(Path file) {
    this.file = file;
  }

  /** Keeps only lines whose {@code step} is at most {@code step} (called before appending on resume). */
  public void truncateAfter(long step) {
    if (!Files.exists(file)) {
      return;
    }
    try {
      List<String> keep = new ArrayList<>();
      for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
        if (line.isBlank()) {
          continue;
        }
        try {
          JsonNode n = Json.mapper().readTree(line);
          if (n.path("step").asLong(Long.MAX_VALUE) <= step) {
            keep.add(line);
          }
        } catch (IOException partialLine) {
          // the process died mid-line: drop it
        }
      }
      AtomicFiles.writeString(file, keep.isEmpty() ? "" : String.join("\n", keep) + "\n");
    } catch (IOException e) {
      throw new CheckpointException("cannot rewrite " + file, e);
    }
  }

  /**
   * The last logged value of every numeric key in {@code file} (the final metrics of a run, like the last entry of
   * transformers' {@code log_history} per key); empty when the file does not exist. A torn last line is skipped.
   */
  public static Map<String, Double> lastValues(Path file) {
    Map<String, Double> last = new LinkedHashMap<>();
    if (!Files.isRegularFile(file)) {
      return last;
    }
    try {
      for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
        if (line.isBlank()) {
          continue;
        }
        JsonNode n;
        try {
          n = Json.mapper().readTree(line);
        } catch (IOException partialLine) {
          continue;
        }
        n.fields().forEachRemaining(e -> {
          if (e.getValue().isNumber()) {
            last.put(e.getKey(), e.getValue().asDouble());
          }
        });
      }
    } catch (IOException e) {
      throw new CheckpointException("cannot read " + file, e);
    }
    return last;
  }

  /** Appends one line and flushes it. */
  public void append(Map<String, Object> record) {
    try {
      if (out == null) {
        Files.createDirectories(file.toAbsolutePath().getParent());
        out = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
            StandardOpenOption.APPEND);
      }
      out.write(Json.mapper().writeValueAsString(record));
      out.write('\n');
      out.flush();
    } catch (IOException e) {
      throw new CheckpointException("cannot append to " + file, e);
    }
  }

  @Override
  public void close() {
    if (out != null) {
      try {
        out.close();
      } catch (IOException ignored) {
        // lines were flushed as written
      }
      out = null;
    }
  }
}
