package dev.zephyr.train.pipeline;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * SHA-256 digests of artifacts. A file digests its bytes; a directory digests, in sorted order, each regular file's
 * relative path (with '/') and content digest, skipping hidden files (temporary files start with a dot).
 */
public final class Digests {
  private Digests() {}

  /** {@code "sha256:<hex>"} of a file or directory; an error when it does not exist. */
  public static String sha256(Path path) {
    if (!Files.exists(path)) {
      throw new UncheckedIOException(new java.io.FileNotFoundException(path + " does not exist"));
    }
    return "sha256:" + HexFormat.of().formatHex(Files.isDirectory(path) ? directory(path) : file(path));
  }

  /**
   * A cheap summary of what is on disk (relative paths, sizes and modification times, hashed): when it is unchanged
   * since an earlier digest, the content digest can be reused instead of reading gigabytes of weights again.
   */
  public static String stat(Path path) {
    MessageDigest md = newDigest();
    try {
      if (Files.isDirectory(path)) {
        List<Path> files;
        try (Stream<Path> walk = Files.walk(path)) {
          files = walk.filter(Files::isRegularFile).filter(p -> !hidden(path.relativize(p))).sorted()
              .collect(Collectors.toList());
        }
        for (Path f : files) {
          md.update(path.relativize(f).toString().replace('\\', '/').getBytes(StandardCharsets.UTF_8));
          md.update((statLine(f) + "\n").getBytes(StandardCharsets.UTF_8));
        }
      } else {
        md.update(statLine(path).getBytes(StandardCharsets.UTF_8));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot stat " + path, e);
    }
    return "stat:" + HexFormat.of().formatHex(md.digest());
  }

  /** Size, modification time in nanoseconds and file identity (inode), which an atomic rewrite changes. */
  private static String statLine(Path f) throws IOException {
    BasicFileAttributes a = Files.readAttributes(f, BasicFileAttributes.class);
    return a.size() + ":" + a.lastModifiedTime().to(TimeUnit.NANOSECONDS) + ":" + a.fileKey();
  }

  /** {@code "sha256:<hex>"} of UTF-8 text. */
  public static String sha256(String text) {
    return "sha256:" + HexFormat.of().formatHex(newDigest().digest(text.getBytes(StandardCharsets.UTF_8)));
  }

  private static byte[] directory(Path dir) {
    MessageDigest md = newDigest();
    List<Path> files;
    try (Stream<Path> walk = Files.walk(dir)) {
      files = walk.filter(Files::isRegularFile)
          .filter(p -> !hidden(dir.relativize(p)))
          .sorted()
          .collect(Collectors.toList());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + dir, e);
    }
    for (Path f : files) {
      String rel = dir.relativize(f).toString().replace('\\', '/');
      md.update(rel.getBytes(StandardCharsets.UTF_8));
      md.update((byte) 0);
      md.update(file(f));
    }
    return md.digest();
  }

  private static boolean hidden(Path relative) {
    for (Path part : relative) {
      if (part.toString().startsWith(".")) {
        return true;
      }
    }
    return false;
  }

  private static byte[] file(Path file) {
    MessageDigest md = newDigest();
    byte[] buf = new byte[1 << 16];
    try (InputStream in = Files.newInputStream(file)) {
      int n;
      while ((n = in.read(buf)) > 0) {
        md.update(buf, 0, n);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
    return md.digest();
  }

  private static MessageDigest newDigest() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
