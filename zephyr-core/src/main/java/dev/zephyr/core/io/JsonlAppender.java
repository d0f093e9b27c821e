package dev.zephyr.core.io;

import com.fasterxml.jackson.databind.JsonNode;
import dev.zephyr.core.InvalidInputException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An append-only JSONL output that a long job can resume, losing at most the line being written when it crashes.
 * Opening it reads the records already there, remembers their keys (for example {@code prompt_id}) when the job
 * keys its records, and cuts away a last line torn by a crash (any bytes after the last newline, even a complete
 * JSON object: redo it rather than guess). Every {@link #append} is flushed and fsynced before it returns. A bad
 * line that is not the last one is an error naming file and line, because it cannot come from an interrupted append.
 */
public final class JsonlAppender implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(JsonlAppender.class);

  private final Path file;
  private final FileChannel channel;
  private final Function<JsonNode, String> keyOf;
  private final Set<String> keys = new HashSet<>();
  private long records;
  private boolean tornLineDropped;

  private JsonlAppender(Path file, Function<JsonNode, String> keyOf) throws IOException {
    this.file = file;
    this.keyOf = keyOf;
    Path dir = file.toAbsolutePath().getParent();
    if (dir != null) {
      Files.createDirectories(dir);
    }
    this.channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
    Contents existing = Contents.parse(file, Files.readAllBytes(file));
    for (JsonNode node : existing.nodes()) {
      remember(node);
    }
    records = existing.nodes().size();
    if (existing.completeLength() < channel.size()) {
      if (existing.tornLine() > 0) {
        LOG.warn("{}: dropping torn last line {} left by an interrupted run", file, existing.tornLine());
        tornLineDropped = true;
      }
      channel.truncate(existing.completeLength());
    }
    channel.position(channel.size());
  }

  /**
   * Opens {@code file} for appending, creating it if needed.
   *
   * @param keyOf the resume key of a record (null keys are not remembered)
   */
  public static JsonlAppender open(Path file, Function<JsonNode, String> keyOf) {
    try {
      return new JsonlAppender(file, keyOf);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open " + file + " for appending", e);
    }
  }

  /** Opens {@code file} keyed by a top-level text field such as {@code prompt_id}. */
  public static JsonlAppender open(Path file, String keyField) {
    return open(file, node -> node.hasNonNull(keyField) ? node.get(keyField).asText() : null);
  }

  /** Opens {@code file} for a job that resumes from {@link #readComplete} rather than from keys. */
  public static JsonlAppender open(Path file) {
    return open(file, (Function<JsonNode, String>) null);
  }

  /** Reads the complete lines of {@code file} (none if it does not exist), ignoring a torn last line. */
  public static List<JsonNode> readComplete(Path file) {
    return completeContents(file).nodes();
  }

  /** Reads the complete lines of {@code file} bound to {@code type}; a line that does not bind is named. */
  public static <T> List<T> readComplete(Path file, Class<T> type) {
    Contents contents = completeContents(file);
    List<T> out = new ArrayList<>();
    for (int i = 0; i < contents.nodes().size(); i++) {
      try {
        out.add(Json.mapper().treeToValue(contents.nodes().get(i), type));
      } catch (IOException e) {
        throw new InvalidInputException(file.toString(), contents.lines().get(i), null,
            "not a valid " + type.getSimpleName() + ": " + e.getMessage(), e);
      }
    }
    return out;
  }

  private static Contents completeContents(Path file) {
    if (!Files.exists(file)) {
      return new Contents(List.of(), List.of(), 0, 0);
    }
    try {
      return Contents.parse(file, Files.readAllBytes(file));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }

  /** True when the file exists and its last line lacks its newline (a write was cut short). */
  public static boolean hasTornTail(Path file) {
    try {
      if (!Files.exists(file) || Files.size(file) == 0) {
        return false;
      }
      try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
        ByteBuffer last = ByteBuffer.allocate(1);
        ch.read(last, ch.size() - 1);
        return last.get(0) != '\n';
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }

  /** True when a record with this key is already in the file. */
  public boolean contains(String key) {
    return keys.contains(key);
  }

  /** Keys of the records in the file. */
  public Set<String> keys() {
    return Set.copyOf(keys);
  }

  /** Records in the file. */
  public long records() {
    return records;
  }

  /** True when opening cut away a torn last line. */
  public boolean tornLineDropped() {
    return tornLineDropped;
  }

  /** Appends one record durably. */
  public void append(Object record) {
    appendAll(List.of(record));
  }

  /** Appends records as one write followed by one fsync. */
  public synchronized void appendAll(Collection<?> batch) {
    if (batch.isEmpty()) {
      return;
    }
    StringBuilder text = new StringBuilder();
    try {
      for (Object r : batch) {
        String line = Jsonl.toLine(r);
        text.append(line).append('\n');
        if (keyOf != null) {
          remember(Json.mapper().readTree(line));
        }
      }
      ByteBuffer bb = ByteBuffer.wrap(text.toString().getBytes(StandardCharsets.UTF_8));
      while (bb.hasRemaining()) {
        channel.write(bb);
      }
      channel.force(false);
      records += batch.size();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot append to " + file, e);
    }
  }

  /** The file written. */
  public Path file() {
    return file;
  }

  @Override
  public synchronized void close() {
    try {
      channel.close();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot close " + file, e);
    }
  }

  private void remember(JsonNode node) {
    String key = keyOf == null ? null : keyOf.apply(node);
    if (key != null) {
      keys.add(key);
    }
  }

  /**
   * The parsed complete non-blank lines of a file and their 1-based line numbers, the length of the prefix ending
   * with the last newline, and the number of a torn (non-blank, unterminated) last line, or 0 when there is none.
   */
  private record Contents(List<JsonNode> nodes, List<Long> lines, long completeLength, long tornLine) {
    static Contents parse(Path file, byte[] bytes) {
      List<JsonNode> nodes = new ArrayList<>();
      List<Long> lines = new ArrayList<>();
      int start = 0;
      long lineNo = 0;
      while (start < bytes.length) {
        int nl = start;
        while (nl < bytes.length && bytes[nl] != '\n') {
          nl++;
        }
        lineNo++;
        String line = new String(bytes, start, nl - start, StandardCharsets.UTF_8);
        if (nl == bytes.length) {
          return new Contents(nodes, lines, start, line.isBlank() ? 0 : lineNo);
        }
        if (!line.isBlank()) {
          try {
            nodes.add(Json.mapper().readTree(line));
            lines.add(lineNo);
          } catch (IOException e) {
            throw new InvalidInputException(file.toString(), lineNo, null, "not a valid JSON line: " + e.getMessage(),
                e);
          }
        }
        start = nl + 1;
      }
      return new Contents(nodes, lines, bytes.length, 0);
    }
  }
}
