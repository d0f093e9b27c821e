package dev.zephyr.core.chat.cache;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.zephyr.core.InvalidInputException;
import dev.zephyr.core.chat.ChatResponse;
import dev.zephyr.core.io.Json;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An append-only JSONL file of finished model calls, {@code {"key": "<sha256>", "model": "...", "response": {...}}}
 * one per line. Each {@link #put} is on disk (fsync) before it returns, so a crash loses nothing that was handed back to
 * a caller. Concurrent puts share fsyncs (group commit).
 *
 * <p>Responses stay on disk: opening the store streams the file once, checks every line, and keeps in memory only where
 * each key's line lies (a {@link LineIndex}, a few dozen bytes per key however long the responses are); {@link #get}
 * reads the line back and parses it. A last line cut short by a crash is dropped and truncated away; a bad line anywhere
 * else is an error naming file and line. Should a key occur on several lines, the last one wins. One process at a time
 * may hold a store (an OS file lock). Gets and puts may run concurrently from any number of threads; a get sees an entry
 * as soon as its put has written it.
 */
public final class ResponseStore implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ResponseStore.class);
  private static final int CHUNK_BYTES = 1 << 16;
  private static final int MAX_READ_ATTEMPTS = 10;

  private final Path file;
  private final FileChannel channel;
  private final FileLock lock;
  private final LineIndex index = new LineIndex();
  private final Object writeLock = new Object();
  private final Object forceLock = new Object();
  private final Object readerLock = new Object();
  /** Gets read through their own channel: an interrupt that closes it must not close the locked, written one. */
  private volatile FileChannel reader;
  private volatile boolean closed;
  /** End of the last complete line: where the next put writes. Guarded by {@link #writeLock}. */
  private long end;
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
    try {
      this.reader = FileChannel.open(file, StandardOpenOption.READ);
      this.tornLinesDropped = load();
      this.end = channel.size();
    } catch (IOException | RuntimeException e) {
      // a store that failed to open must not keep the file locked
      closeQuietly(e);
      throw e;
    }
  }

  /** Opens (creating if needed) the store at {@code file}. */
  public static ResponseStore open(Path file) {
    try {
      return new ResponseStore(file);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open response cache " + file, e);
    }
  }

  /** One parsed line. */
  private record Entry(String key, ChatResponse response) {}

  /**
   * Streams the file once, checking and indexing every complete line; drops a torn last line by truncating the file to
   * the end of the last good line. Returns 1 when it dropped one, else 0.
   */
  private int load() throws IOException {
    long size = channel.size();
    ByteBuffer chunk = ByteBuffer.allocate(CHUNK_BYTES);
    byte[] bytes = chunk.array();
    // start of a line that began in an earlier chunk
    byte[] pending = new byte[0];
    int pendingLength = 0;
    long chunkStart = 0;
    long lineStart = 0;
    long lineNo = 0;
    while (chunkStart < size) {
      chunk.clear();
      int n = channel.read(chunk, chunkStart);
      if (n < 0) {
        break;
      }
      int from = 0;
      for (int i = 0; i < n; i++) {
        if (bytes[i] != '\n') {
          continue;
        }
        lineNo++;
        String line;
        if (pendingLength == 0) {
          line = new String(bytes, from, i - from, StandardCharsets.UTF_8);
        } else {
          pending = append(pending, pendingLength, bytes, from, i - from);
          line = new String(pending, 0, pendingLength + i - from, StandardCharsets.UTF_8);
          pendingLength = 0;
        }
        long lineEnd = chunkStart + i;
        loadLine(line, lineNo, lineStart, lineEnd);
        from = i + 1;
        lineStart = lineEnd + 1;
      }
      pending = append(pending, pendingLength, bytes, from, n - from);
      pendingLength += n - from;
      chunkStart += n;
    }
    if (pendingLength == 0) {
      return 0;
    }
    // the last line has no newline: whatever it holds, a crash cut it short
    lineNo++;
    String line = new String(pending, 0, pendingLength, StandardCharsets.UTF_8);
    if (line.isBlank()) {
      return 0;
    }
    LOG.warn("{}: dropping torn last line {} ({} bytes) left by an interrupted run", file, lineNo, pendingLength);
    channel.truncate(lineStart);
    return 1;
  }

  /** Checks one newline-terminated line and indexes it; a blank line is skipped. */
  private void loadLine(String line, long lineNo, long start, long end) throws IOException {
    if (line.isBlank()) {
      return;
    }
    Entry entry;
    try {
      entry = parse(line);
    } catch (IOException | RuntimeException e) {
      throw new InvalidInputException(file.toString(), lineNo, null,
          "corrupt response-cache line (not a torn last line): " + e.getMessage(), e);
    }
    if (end - start > Integer.MAX_VALUE) {
      throw new InvalidInputException(file.toString(), lineNo, null, "response-cache line longer than 2 GB");
    }
    long fingerprint = LineIndex.fingerprint(entry.key());
    Located earlier = locate(entry.key(), fingerprint);
    if (earlier == null) {
      index.add(fingerprint, start, (int) (end - start));
    } else {
      // a key written twice: the later line wins
      index.replace(fingerprint, earlier.offset(), start, (int) (end - start));
    }
  }

  /** Appends {@code length} bytes of {@code src} at {@code pendingLength} of {@code pending}, growing it if needed. */
  private static byte[] append(byte[] pending, int pendingLength, byte[] src, int from, int length) {
    if (length == 0) {
      return pending;
    }
    byte[] out = pending;
    if (pendingLength + length > out.length) {
      out = Arrays.copyOf(pending, Math.max(pendingLength + length, pending.length * 2));
    }
    System.arraycopy(src, from, out, pendingLength, length);
    return out;
  }

  private static Entry parse(String line) throws IOException {
    JsonNode node = Json.mapper().readTree(line);
    JsonNode key = node == null ? null : node.get("key");
    if (key == null) {
      throw new IOException("line has no \"key\"");
    }
    ChatResponse response = Json.mapper().treeToValue(node.get("response"), ChatResponse.class);
    if (response == null) {
      throw new IOException("line has no \"response\"");
    }
    return new Entry(key.asText(), response);
  }

  /** Where the line of a key starts, and its response. */
  private record Located(long offset, ChatResponse response) {}

  /** The line of {@code key}, read back and parsed, or null if absent. */
  private Located locate(String key, long fingerprint) {
    long[] candidates = index.find(fingerprint);
    for (int i = 0; i < candidates.length; i += 2) {
      long offset = candidates[i];
      int length = (int) candidates[i + 1];
      String line = new String(readAt(offset, length), StandardCharsets.UTF_8);
      Entry e;
      try {
        e = parse(line);
      } catch (IOException | RuntimeException ex) {
        throw new InvalidInputException(file.toString(), 0, null,
            "response-cache line at byte " + offset + " changed on disk since it was checked: " + ex.getMessage(), ex);
      }
      // distinct keys may share a fingerprint: the key on the line decides
      if (e.key().equals(key)) {
        return new Located(offset, e.response());
      }
    }
    return null;
  }

  /**
   * Reads {@code length} bytes at {@code offset}. Safe under concurrent puts (a positional read). The caller's interrupt
   * status is kept but put aside for the read, and should an interrupt close the read channel midway, it is reopened.
   */
  private byte[] readAt(long offset, int length) {
    boolean interrupted = Thread.interrupted();
    try {
      for (int attempt = 1; ; attempt++) {
        FileChannel ch = reader;
        ByteBuffer buf = ByteBuffer.allocate(length);
        try {
          while (buf.hasRemaining()) {
            if (ch.read(buf, offset + buf.position()) < 0) {
              throw new EOFException(file + ": cache line at byte " + offset + " ends early");
            }
          }
          return buf.array();
        } catch (ClosedChannelException e) {
          interrupted |= Thread.interrupted();
          if (closed) {
            throw new IllegalStateException("response cache " + file + " is closed", e);
          }
          if (attempt >= MAX_READ_ATTEMPTS) {
            throw e;
          }
          reopenReader(ch);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read response cache " + file, e);
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private void reopenReader(FileChannel broken) throws IOException {
    synchronized (readerLock) {
      if (!closed && reader == broken) {
        reader = FileChannel.open(file, StandardOpenOption.READ);
      }
    }
  }

  /** The cached response for {@code key}. */
  public Optional<ChatResponse> get(String key) {
    Located found = locate(key, LineIndex.fingerprint(key));
    return found == null ? Optional.empty() : Optional.of(found.response());
  }

  /** Number of cached calls. */
  public int size() {
    return index.size();
  }

  /** 1 when opening dropped a torn last line, else 0. */
  public int tornLinesDropped() {
    return tornLinesDropped;
  }

  /** The file behind this store. */
  public Path file() {
    return file;
  }

  /** Bytes the in-memory index holds (for tests and benchmarks). */
  long indexBytes() {
    return index.memoryBytes();
  }

  /** Appends one finished call and returns once it is durable. A key already present is not written again. */
  public void put(String key, String model, ChatResponse response) {
    long fingerprint = LineIndex.fingerprint(key);
    if (locate(key, fingerprint) != null) {
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
    byte[] line = buf.toByteArray();
    long mySeq;
    try {
      synchronized (writeLock) {
        if (locate(key, fingerprint) != null) {
          return;
        }
        long offset = end;
        ByteBuffer bb = ByteBuffer.wrap(line);
        while (bb.hasRemaining()) {
          channel.write(bb, offset + bb.position());
        }
        end = offset + line.length;
        // indexed once written: a get from now on finds the whole line
        index.add(fingerprint, offset, line.length - 1);
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
    } finally {
      closeReader();
    }
  }

  private void closeReader() {
    synchronized (readerLock) {
      closed = true;
      FileChannel r = reader;
      if (r != null) {
        try {
          r.close();
        } catch (IOException e) {
          LOG.warn("{}: cannot close read channel: {}", file, e.toString());
        }
      }
    }
  }

  /** Releases everything after a failed open, keeping the original failure. */
  private void closeQuietly(Exception failure) {
    closeReader();
    try {
      channel.close();
    } catch (IOException e) {
      failure.addSuppressed(e);
    }
  }
}
