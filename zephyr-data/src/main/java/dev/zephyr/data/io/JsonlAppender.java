package dev.zephyr.data.io;

import com.fasterxml.jackson.databind.JsonNode;
import dev.zephyr.core.InvalidInputException;
import dev.zephyr.core.io.Json;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collection;
import java.util.HashSet;
import java.util.Set;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An append-only JSONL output that a long job can resume: opening it reads the records already there, remembers
 * their keys (for example {@code prompt_id}) so the job skips them, and cuts away a last line torn by a crash. Every
 * {@link #append} is flushed and fsynced before it returns. A bad line that is not the last one is an error naming
 * file and line, because it cannot come from an interrupted append.
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
    scan();
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

  private void scan() throws IOException {
    byte[] bytes = Files.readAllBytes(file);
    int start = 0;
    long lineNo = 0;
    while (start < bytes.length) {
      int nl = start;
      while (nl < bytes.length && bytes[nl] != '\n') {
        nl++;
      }
      lineNo++;
      boolean terminated = nl < bytes.length;
      String line = new String(bytes, start, nl - start, StandardCharsets.UTF_8);
      if (!line.isBlank()) {
        JsonNode node = null;
        try {
          node = Json.mapper().readTree(line);
        } catch (IOException e) {
          if (terminated) {
            throw new InvalidInputException(file.toString(), lineNo, null, "not a valid JSON line: " + e.getMessage(),
                e);
          }
        }
        if (!terminated) {
          // a complete JSON object without its newline is still a torn write: redo it rather than guess
          LOG.warn("{}: dropping torn last line {} left by an interrupted run", file, lineNo);
          channel.truncate(start);
          tornLineDropped = true;
          return;
        }
        String key = keyOf.apply(node);
        if (key != null) {
          keys.add(key);
        }
        records++;
      }
      start = nl + 1;
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
    appendAll(java.util.List.of(record));
  }

  /** Appends records as one write followed by one fsync. */
  public synchronized void appendAll(Collection<?> batch) {
    if (batch.isEmpty()) {
      return;
    }
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    try {
      for (Object r : batch) {
        JsonNode node = Json.mapper().valueToTree(r);
        buf.write(Json.mapper().writeValueAsBytes(node));
        buf.write('\n');
        String key = keyOf.apply(node);
        if (key != null) {
          keys.add(key);
        }
      }
      ByteBuffer bb = ByteBuffer.wrap(buf.toByteArray());
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
}
