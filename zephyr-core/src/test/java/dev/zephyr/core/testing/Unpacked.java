package dev.zephyr.core.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;

/**
 * Unpacks gzip-stored test data into a cache directory ({@link TestData} uses the module's {@code target/testdata}).
 *
 * <p>Each unpacked copy lives under a directory named after a digest of the stored bytes, so an edited
 * {@code .gz} gets a fresh copy instead of a stale one, and a copy that exists is complete: it is built in a temporary
 * directory beside it and moved into place in one atomic rename. Concurrent test JVMs may both build it; the first
 * rename wins and the other discards its own.
 */
final class Unpacked {
  static final String SUFFIX = ".gz";

  private Unpacked() {}

  /** Whether {@code dir} holds a {@code .gz} file at any depth. */
  static boolean hasPackedFiles(Path dir) {
    try (Stream<Path> files = Files.walk(dir)) {
      return files.anyMatch(f -> Files.isRegularFile(f) && isPacked(f));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list test data directory " + dir, e);
    }
  }

  /** The unpacked form of {@code root/relative.gz}, under {@code cache}. */
  static Path file(Path root, Path relative, Path cache) {
    Path packed = root.resolve(relative + SUFFIX);
    return materialize(List.of(packed), root, relative, cache);
  }

  /** A copy of directory {@code root/relative} with every {@code .gz} file in it unpacked, under {@code cache}. */
  static Path directory(Path root, Path relative, Path cache) {
    Path dir = root.resolve(relative);
    try (Stream<Path> files = Files.walk(dir)) {
      return materialize(files.filter(Files::isRegularFile).toList(), root, relative, cache);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list test data directory " + dir, e);
    }
  }

  /** Writes {@code sources} (unpacked) under {@code cache/<digest>/} once; returns {@code relative} there. */
  private static Path materialize(List<Path> sources, Path root, Path relative, Path cache) {
    Path target = cache.resolve(digest(sources, root));
    if (!Files.isDirectory(target)) {
      Path staging = null;
      try {
        Files.createDirectories(cache);
        staging = Files.createTempDirectory(cache, ".unpacking-");
        for (Path source : sources) {
          copy(source, staging.resolve(unpackedName(root.relativize(source))));
        }
        Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
        staging = null;
      } catch (IOException e) {
        // Another JVM may have renamed the same copy into place first; then ours is simply discarded.
        if (!Files.isDirectory(target)) {
          throw new UncheckedIOException("cannot unpack test data " + root.resolve(relative) + " into " + cache + ": "
              + e.getMessage(), e);
        }
      } finally {
        deleteQuietly(staging);
      }
    }
    return target.resolve(relative);
  }

  private static void copy(Path source, Path destination) throws IOException {
    Files.createDirectories(destination.getParent());
    if (isPacked(source)) {
      try (InputStream in = new GZIPInputStream(Files.newInputStream(source), 1 << 16)) {
        Files.copy(in, destination);
      } catch (IOException e) {
        throw new IOException("cannot gunzip " + source + ": " + e.getMessage(), e);
      }
    } else {
      Files.copy(source, destination);
    }
  }

  private static Path unpackedName(Path relative) {
    String name = relative.toString();
    return isPacked(relative) ? Paths.get(name.substring(0, name.length() - SUFFIX.length())) : relative;
  }

  private static boolean isPacked(Path file) {
    return file.getFileName().toString().endsWith(SUFFIX);
  }

  /** SHA-256 over each source's path (relative to {@code root}), size and bytes; 16 hex digits are plenty here. */
  private static String digest(List<Path> sources, Path root) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      for (Path source : sources.stream().sorted(Comparator.naturalOrder()).toList()) {
        byte[] bytes = Files.readAllBytes(source);
        sha.update((root.relativize(source) + "\0" + bytes.length + "\0").getBytes(StandardCharsets.UTF_8));
        sha.update(bytes);
      }
      return HexFormat.of().formatHex(sha.digest()).substring(0, 16);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read test data " + sources, e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every JDK", e);
    }
  }

  private static void deleteQuietly(Path dir) {
    if (dir == null) {
      return;
    }
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException ignored) {
      // a leftover staging directory only costs disk space under target/
    }
  }
}
