package dev.zephyr.data.sft;

import com.fasterxml.jackson.databind.JsonNode;
import dev.zephyr.core.io.Json;
import dev.zephyr.core.io.Jsonl;
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
import java.util.List;

/**
 * A JSONL file that long generation jobs append to as work finishes, so a crashed run loses at most the line being
 * written. Opening it repairs a torn tail (a last line without its newline, left by a kill mid-write) by cutting it
 * off; every append is flushed to disk before it returns.
 */
public final class AppendOnlyJsonl implements AutoCloseable {
  private final Path file;
  private final FileChannel channel;

  private AppendOnlyJsonl(Path file, FileChannel channel) {
    this.file = file;
    this.channel = channel;
  }

  /** Opens (creating if needed) {@code file} for appending, after cutting off a torn last line. */
  public static AppendOnlyJsonl open(Path file) {
    try {
      Path parent = file.toAbsolutePath().getParent();
      Files.createDirectories(parent);
      FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
          StandardOpenOption.WRITE);
      ch.truncate(completeLength(ch));
      ch.position(ch.size());
      return new AppendOnlyJsonl(file, ch);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open " + file + " for appending", e);
    }
  }

  /** Reads the complete lines of {@code file} (none if it does not exist), ignoring a torn last line. */
  public static List<JsonNode> readComplete(Path file) {
    if (!Files.exists(file)) {
      return List.of();
    }
    try {
      byte[] bytes = Files.readAllBytes(file);
      int end = bytes.length;
      while (end > 0 && bytes[end - 1] != '\n') {
        end--;
      }
      String text = new String(bytes, 0, end, StandardCharsets.UTF_8);
      List<JsonNode> out = new ArrayList<>();
      int lineNo = 0;
      for (String line : text.split("\n", -1)) {
        lineNo++;
        if (line.isBlank()) {
          continue;
        }
        try {
          out.add(Json.mapper().readTree(line));
        } catch (IOException e) {
          throw new dev.zephyr.core.InvalidInputException(file.toString(), lineNo, null,
              "not a valid JSON line: " + e.getMessage(), e);
        }
      }
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }

  /** Reads the complete lines of {@code file} bound to {@code type}. */
  public static <T> List<T> readComplete(Path file, Class<T> type) {
    List<T> out = new ArrayList<>();
    int i = 0;
    for (JsonNode n : readComplete(file)) {
      i++;
      try {
        out.add(Json.mapper().treeToValue(n, type));
      } catch (IOException e) {
        throw new dev.zephyr.core.InvalidInputException(file.toString(), i, null,
            "not a valid " + type.getSimpleName() + ": " + e.getMessage(), e);
      }
    }
    return out;
  }

  /** True when the file exists and its last line lacks its newline (a write was cut short). */
  public static boolean hasTornTail(Path file) {
    try {
      if (!Files.exists(file) || Files.size(file) == 0) {
        return false;
      }
      try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
        return completeLength(ch) != ch.size();
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }

  /** Appends one record as a line and forces it to disk. */
  public void append(Object record) {
    appendAll(List.of(record));
  }

  /** Appends records as lines in one write and forces them to disk. */
  public synchronized void appendAll(Collection<?> records) {
    if (records.isEmpty()) {
      return;
    }
    StringBuilder sb = new StringBuilder();
    for (Object r : records) {
      sb.append(Jsonl.toLine(r)).append('\n');
    }
    ByteBuffer buf = ByteBuffer.wrap(sb.toString().getBytes(StandardCharsets.UTF_8));
    try {
      while (buf.hasRemaining()) {
        channel.write(buf);
      }
      channel.force(false);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot append to " + file, e);
    }
  }

  public Path file() {
    return file;
  }

  @Override
  public void close() {
    try {
      channel.close();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot close " + file, e);
    }
  }

  /** Length of the prefix that ends with the last newline. */
  private static long completeLength(FileChannel ch) throws IOException {
    long size = ch.size();
    ByteBuffer one = ByteBuffer.allocate(1);
    for (long pos = size - 1; pos >= 0; pos--) {
      one.clear();
      ch.read(one, pos);
      if (one.get(0) == '\n') {
        return pos + 1;
      }
    }
    return 0;
  }
}
