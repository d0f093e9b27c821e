package dev.zephyr.core.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.zephyr.core.InvalidInputException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.function.Consumer;

/**
 * JSON Lines, the format of every dataset artifact. Reading streams and names file and line on bad input; whole-file
 * writes are atomic.
 */
public final class Jsonl {
  private Jsonl() {}

  /** What to do with a line that is not valid JSON or does not bind. */
  public enum OnError {
    /** Throw {@link InvalidInputException} naming file and line. */
    FAIL,
    /** Skip it; the reader counts skipped lines. */
    SKIP
  }

  /** Reads every non-blank line as a tree. */
  public static List<JsonNode> readAll(Path file) {
    return readAll(file, JsonNode.class);
  }

  /** Reads every non-blank line bound to {@code type}; the first bad line fails with file and line. */
  public static <T> List<T> readAll(Path file, Class<T> type) {
    List<T> out = new ArrayList<>();
    try (Reader<T> r = reader(file, type, OnError.FAIL)) {
      r.forEachRemaining(out::add);
    }
    return out;
  }

  /** A streaming reader; close it. */
  public static <T> Reader<T> reader(Path file, Class<T> type, OnError onError) {
    return new Reader<>(file, type, onError);
  }

  /** Atomically writes {@code records}, one JSON object per line, each line ending in a newline. */
  public static void writeAll(Path file, Iterable<?> records) {
    ObjectMapper mapper = Json.mapper();
    AtomicFiles.write(file, out -> {
      for (Object r : records) {
        out.write(mapper.writeValueAsBytes(r));
        out.write('\n');
      }
    });
  }

  /** One record as a single JSON line (no trailing newline). */
  public static String toLine(Object record) {
    try {
      return Json.mapper().writeValueAsString(record);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("cannot serialise " + record.getClass().getSimpleName(), e);
    }
  }

  /** Streaming, line-numbered JSONL reader. */
  public static final class Reader<T> implements Iterator<T>, AutoCloseable {
    private final Path file;
    private final Class<T> type;
    private final OnError onError;
    private final BufferedReader in;
    private long lineNumber;
    private long skipped;
    private T next;

    private Reader(Path file, Class<T> type, OnError onError) {
      this.file = file;
      this.type = type;
      this.onError = onError;
      try {
        this.in = Files.newBufferedReader(file, StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot open " + file, e);
      }
    }

    @Override
    public boolean hasNext() {
      while (next == null) {
        String line;
        try {
          line = in.readLine();
        } catch (IOException e) {
          throw new UncheckedIOException("cannot read " + file, e);
        }
        if (line == null) {
          return false;
        }
        lineNumber++;
        if (line.isBlank()) {
          continue;
        }
        try {
          next = Json.mapper().readValue(line, type);
        } catch (IOException | RuntimeException e) {
          if (onError == OnError.SKIP) {
            skipped++;
            continue;
          }
          throw new InvalidInputException(file.toString(), lineNumber, null,
              "not a valid " + type.getSimpleName() + " JSON line: " + e.getMessage(), e);
        }
      }
      return true;
    }

    @Override
    public T next() {
      if (!hasNext()) {
        throw new NoSuchElementException();
      }
      T r = next;
      next = null;
      return r;
    }

    /** Reads the remaining records. */
    public void forEachRemaining(Consumer<? super T> action) {
      while (hasNext()) {
        action.accept(next());
      }
    }

    /** 1-based number of the last line read. */
    public long lineNumber() {
      return lineNumber;
    }

    /** Lines skipped under {@link OnError#SKIP}. */
    public long skipped() {
      return skipped;
    }

    @Override
    public void close() {
      try {
        in.close();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
