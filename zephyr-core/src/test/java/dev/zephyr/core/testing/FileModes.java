package dev.zephyr.core.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * POSIX modes of what the library writes. "Ordinary" is the mode a plain new file or directory gets in the same place
 * (0666/0777 less the umask: 0644 and 0755 under the usual 022), so the checks hold under any umask and still fail on
 * the owner-only 0600/0700 that {@code Files.createTempFile}/{@code createTempDirectory} give.
 */
public final class FileModes {
  private FileModes() {}

  /** True where the file system has POSIX permissions (not on Windows). */
  public static boolean posix(Path p) {
    return p.getFileSystem().supportedFileAttributeViews().contains("posix");
  }

  /** {@code rw-r--r--} style mode of {@code p}. */
  public static String mode(Path p) throws IOException {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
  }

  /** The mode a plain new file gets in {@code dir}, found by creating and deleting a probe file. */
  public static String ordinaryFileMode(Path dir) throws IOException {
    Path probe = Files.createFile(dir.resolve(".mode-probe-file"));
    try {
      return mode(probe);
    } finally {
      Files.delete(probe);
    }
  }

  /** The mode a plain new directory gets in {@code dir}. */
  public static String ordinaryDirectoryMode(Path dir) throws IOException {
    Path probe = Files.createDirectory(dir.resolve(".mode-probe-dir"));
    try {
      return mode(probe);
    } finally {
      Files.delete(probe);
    }
  }

  /** Asserts that every file and directory below {@code root} (not root itself) has the ordinary mode. */
  public static void assertOrdinaryBelow(Path root) throws IOException {
    String fileMode = ordinaryFileMode(root);
    String dirMode = ordinaryDirectoryMode(root);
    List<String> wrong = new ArrayList<>();
    try (Stream<Path> walk = Files.walk(root)) {
      for (Path p : (Iterable<Path>) walk::iterator) {
        if (p.equals(root)) {
          continue;
        }
        String want = Files.isDirectory(p) ? dirMode : fileMode;
        String have = mode(p);
        if (!have.equals(want)) {
          wrong.add(root.relativize(p) + " " + have);
        }
      }
    }
    assertThat(wrong).as("entries without the ordinary mode %s / %s", fileMode, dirMode).isEmpty();
  }
}
