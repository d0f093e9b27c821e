package dev.zephyr.eval.mtbench;

import dev.zephyr.core.io.Jsonl;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Appends one JSON line per finished record and forces it to disk, the way FastChat appends judgments and answers,
 * so an interrupted run keeps everything it finished. A torn last line (crash mid-write) is cut off on open.
 */
final class AppendLog implements AutoCloseable {
  private final FileChannel channel;
  private final OutputStream out;

  AppendLog(Path file) {
    try {
      Path parent = file.toAbsolutePath().getParent();
      Files.createDirectories(parent);
      repairTail(file);
      channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
          StandardOpenOption.APPEND);
      out = java.nio.channels.Channels.newOutputStream(channel);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open " + file, e);
    }
  }

  void append(Object record) {
    try {
      out.write((Jsonl.toLine(record) + "\n").getBytes(StandardCharsets.UTF_8));
      out.flush();
      channel.force(false);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot append", e);
    }
  }

  /** Drops an unterminated last line left by a crash; call before reading the file to resume. */
  static void repair(Path file) {
    try {
      repairTail(file);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot repair " + file, e);
    }
  }

  private static void repairTail(Path file) throws IOException {
    if (!Files.exists(file) || Files.size(file) == 0) {
      return;
    }
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      ByteBuffer last = ByteBuffer.allocate(1);
      ch.read(last, ch.size() - 1);
      if (last.get(0) == '\n') {
        return; // the usual case: nothing torn, no need to read the file
      }
      byte[] bytes = Files.readAllBytes(file);
      int lastNl = -1;
      for (int i = bytes.length - 1; i >= 0; i--) {
        if (bytes[i] == '\n') {
          lastNl = i;
          break;
        }
      }
      ch.truncate(lastNl + 1);
    }
  }

  @Override
  public void close() {
    try {
      out.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
