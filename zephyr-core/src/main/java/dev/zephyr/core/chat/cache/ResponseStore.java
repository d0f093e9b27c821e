package dev.zephyr.core.chat.cache;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.zephyr.core.InvalidInputException;
import dev.zephyr.core.chat.ChatResponse;
import dev.zephyr.core.io.Json;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An append-only JSONL file of finished model calls, {@code {"key": "<sha256>", "model": "...", "response": {...}}}
 * one per line. Each {@link #put} is on disk (fsync) before it returns, so a crash loses nothing that was handed back to
 * a caller. Concurrent puts share fsyncs (group commit).
 *
 * <p>Opening the store reads it whole into memory. A last line cut short by a crash is dropped and truncated away; a bad
 * line anywhere else is an error naming file and line. One process at a time may hold a store (an OS file lock).
 */
public final class ResponseStore implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ResponseStore.class);

  private final Path file;
  private final FileChannel channel;
  private final FileLock lock;
  private final Map<String, ChatResponse> entries = new ConcurrentHashMap<>();
  private final Object writeLock = new Object();
  private final Object forceLock = new Object();
  private long written;
  private volatile long forced;
  private final int tornLinesDropped;

  private ResponseStore(Path file) throws IOException {
    this.file = file;
    Path dir = file.toAbsolutePath().getParent();
    if (dir != null) {
      Files.createDirectories(dir);
    }
    this.channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
    FileLock l;
    try {
      l = channel.tryLock();
    } catch (OverlappingFileLockException e) {
      l = null;
    }
    if (l == null) {
      channel.close();
      throw new IllegalStateException("response cache " + file + " is in use by another process or store");
    }
    this.lock = l;
    this.tornLinesDropped = load();
    channel.position(channel.size());
  }

  /** Opens (creating if needed) the store at {@code file}. */
  public static ResponseStore open(Path file) {
    try {
      return new ResponseStore(file);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open response cache " + file, e);
    }
  }

  /** Reads every complete line; drops a torn last line by truncating the file to the end of the last good line. */
  private int load() throws IOException {
    byte[] bytes = Files.readAllBytes(file);
    int lineStart = 0;
    long lineNo = 0;
    int goodEnd = 0;
    while (lineStart < bytes.length) {
      int nl = indexOf(bytes, (byte) '\n', lineStart);
      lineNo++;
      boolean last = nl < 0;
      int end = last ? bytes.length : nl;
      String line = new String(bytes, lineStart, end - lineStart, StandardCharsets.UTF_8);
      if (!line.isBlank()) {
        try {
          JsonNode node = Json.mapper().readTree(line);
          String key = node.get("key").asText();
          ChatResponse response = Json.mapper().treeToValue(node.get("response"), ChatResponse.class);
          if (last) {
            throw new IOException("line has no terminating newline");
          }
          entries.put(key, response);
        } catch (IOException | RuntimeException e) {
          if (last) {
            LOG.warn("{}: dropping torn last line {} ({} bytes) left by an interrupted run", file, lineNo,
                end - lineStart);
            channel.truncate(goodEnd);
            return 1;
          }
          throw new InvalidInputException(file.toString(), lineNo, null,
              "corrupt response-cache line (not a torn last line): " + e.getMessage(), e);
        }
      }
      if (last) {
        break;
      }
      lineStart = nl + 1;
      goodEnd = lineStart;
    }
    return 0;
  }

  private static int indexOf(byte[] bytes, byte b, int from) {
    for (int i = from; i < bytes.length; i++) {
      if (bytes[i] == b) {
        return i;
      }
    }
    return -1;
  }

  /** The cached response for {@code key}. */
  public Optional<ChatResponse> get(String key) {
    return Optional.ofNullable(entries.get(key));
  }

  /** Number of cached calls. */
  public int size() {
    return entries.size();
  }

  /** 1 when opening dropped a torn last line, else 0. */
  public int tornLinesDropped() {
    return tornLinesDropped;
  }

  /** The file behind this store. */
  public Path file() {
    return file;
  }

  /** Appends one finished call and returns once it is durable. A key already present is not written again. */
  public void put(String key, String model, ChatResponse response) {
    if (entries.containsKey(key)) {
      return;
    }
    ObjectNode node = Json.mapper().createObjectNode();
    node.put("key", key);
    node.put("model", model);
    node.set("response", Json.mapper().valueToTree(response));
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    try {
      Json.mapper().writeValue(buf, node);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    buf.write('\n');
    long mySeq;
    try {
      synchronized (writeLock) {
        if (entries.putIfAbsent(key, response) != null) {
          return;
        }
        ByteBuffer bb = ByteBuffer.wrap(buf.toByteArray());
        while (bb.hasRemaining()) {
          channel.write(bb);
        }
        mySeq = ++written;
      }
      // group commit: one fsync covers every line written before it started
      if (forced < mySeq) {
        synchronized (forceLock) {
          if (forced < mySeq) {
            long target;
            synchronized (writeLock) {
              target = written;
            }
            channel.force(false);
            forced = target;
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot append to response cache " + file, e);
    }
  }

  @Override
  public void close() {
    try {
      if (channel.isOpen()) {
        channel.force(false);
        lock.release();
        channel.close();
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot close response cache " + file, e);
    }
  }
}
