package dev.zephyr.core.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The repository's {@code testdata/} directory (benchmark data, tokenizers, chat-template goldens, model fixtures) for
 * the tests of every module. It is found through the {@code zephyr.testdata.dir} system property that the root pom
 * sets, else by walking up from the working directory to the first directory holding {@code testdata/README.md}.
 *
 * <p>Files too large to keep as they are sit in {@code testdata/} gzip-compressed ({@code tokenizer.json.gz});
 * {@link #path} returns them unpacked, so callers never see the difference (see {@link Unpacked}).
 */
public final class TestData {
  static final String DIR_PROPERTY = "zephyr.testdata.dir";
  static final String UNPACKED_PROPERTY = "zephyr.testdata.unpacked";
  private static final Map<Path, Path> RESOLVED = new ConcurrentHashMap<>();
  private static volatile Path root;

  private TestData() {}

  /** The {@code testdata/} directory as stored: large files appear there only as {@code .gz}. */
  public static Path dir() {
    Path r = root;
    if (r == null) {
      r = locate();
      root = r;
    }
    return r;
  }

  /**
   * A file or directory under {@code testdata/}, ready to read: a file stored as {@code NAME.gz} comes back as the
   * unpacked {@code NAME}, and a directory holding such files as an unpacked copy of the whole directory.
   *
   * @throws IllegalStateException when neither {@code testdata/<path>} nor {@code testdata/<path>.gz} exists
   */
  public static Path path(String first, String... more) {
    Path relative = Paths.get(first, more).normalize();
    if (relative.isAbsolute() || relative.startsWith("..")) {
      throw new IllegalArgumentException("test data paths are relative to testdata/, got " + relative);
    }
    return RESOLVED.computeIfAbsent(relative, TestData::resolve);
  }

  private static Path resolve(Path relative) {
    Path stored = dir().resolve(relative);
    if (Files.isRegularFile(stored)) {
      return stored;
    }
    if (Files.isDirectory(stored)) {
      return Unpacked.hasPackedFiles(stored) ? Unpacked.directory(dir(), relative, unpackedDir()) : stored;
    }
    Path packed = stored.resolveSibling(stored.getFileName() + Unpacked.SUFFIX);
    if (Files.isRegularFile(packed)) {
      return Unpacked.file(dir(), relative, unpackedDir());
    }
    throw new IllegalStateException("missing test data: neither " + stored + " nor " + packed + " exists");
  }

  /** Where unpacked copies go: the module's {@code target/testdata} as the pom sets it, else the same path here. */
  private static Path unpackedDir() {
    String property = System.getProperty(UNPACKED_PROPERTY);
    Path dir = property != null && !property.isBlank() ? Paths.get(property) : Paths.get("target", "testdata");
    return dir.toAbsolutePath().normalize();
  }

  private static Path locate() {
    Set<Path> tried = new LinkedHashSet<>();
    String property = System.getProperty(DIR_PROPERTY);
    if (property != null && !property.isBlank()) {
      Path candidate = Paths.get(property).toAbsolutePath().normalize();
      if (isTestData(candidate)) {
        return candidate;
      }
      tried.add(candidate);
    }
    // An IDE or a build started in a module directory may not set the property: look upwards instead.
    for (Path p = Paths.get("").toAbsolutePath(); p != null; p = p.getParent()) {
      Path candidate = p.resolve("testdata");
      if (isTestData(candidate)) {
        return candidate.normalize();
      }
      tried.add(candidate);
    }
    throw new IllegalStateException("cannot find the repository's testdata/ directory (one holding README.md); tried "
        + tried + "; set -D" + DIR_PROPERTY + "=/path/to/repository/testdata");
  }

  private static boolean isTestData(Path candidate) {
    return Files.isRegularFile(candidate.resolve("README.md"));
  }
}
