package dev.zephyr.core.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/**
 * Locates {@code ../shared/data} (benchmark data, tokenizers, goldens, fixtures) from any module's tests: the
 * {@code zephyr.shared.dir} system property set by the build, else walking up from the working directory.
 */
public final class SharedData {
  private SharedData() {}

  /** The {@code shared/data} directory. */
  public static Path dir() {
    String prop = System.getProperty("zephyr.shared.dir");
    if (prop != null && Files.isDirectory(Paths.get(prop, "data"))) {
      return Paths.get(prop, "data").toAbsolutePath().normalize();
    }
    Path p = Paths.get("").toAbsolutePath();
    while (p != null) {
      Path candidate = p.resolveSibling("shared").resolve("data");
      if (Files.isDirectory(candidate)) {
        return candidate.normalize();
      }
      p = p.getParent();
    }
    throw new IllegalStateException("cannot find ../shared/data; set -Dzephyr.shared.dir");
  }

  /** A path under {@code shared/data}. */
  public static Path path(String first, String... more) {
    return dir().resolve(Paths.get(first, more));
  }
}
