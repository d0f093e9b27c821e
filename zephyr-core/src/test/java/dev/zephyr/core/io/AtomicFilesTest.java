package dev.zephyr.core.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.zephyr.core.testing.FileModes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {
  @TempDir Path dir;

  @Test
  void writtenFilesGetTheModeOfAnyNewFileNotOwnerOnly() throws Exception {
    assumeTrue(FileModes.posix(dir));
    Path f = dir.resolve("sub/results.json");
    AtomicFiles.writeString(f, "{}\n");
    assertThat(Files.readString(f)).isEqualTo("{}\n");
    String ordinary = FileModes.ordinaryFileMode(dir);
    assertThat(FileModes.mode(f)).isEqualTo(ordinary).isNotEqualTo("rw-------");
    assertThat(FileModes.mode(f.getParent())).isEqualTo(FileModes.ordinaryDirectoryMode(dir));
    if (ordinary.equals("rw-r--r--")) { // umask 022, as on CI and most desktops
      assertThat(FileModes.mode(f)).isEqualTo("rw-r--r--");
    }
  }

  @Test
  void replacingAnOwnerOnlyFileLeavesTheOrdinaryMode() throws Exception {
    assumeTrue(FileModes.posix(dir));
    Path f = Files.writeString(dir.resolve("chart.png"), "old");
    Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
    AtomicFiles.write(f, out -> out.write(new byte[] {1, 2, 3}));
    assertThat(Files.readAllBytes(f)).containsExactly(1, 2, 3);
    assertThat(FileModes.mode(f)).isEqualTo(FileModes.ordinaryFileMode(dir));
  }

  @Test
  void aFailedWriteLeavesTheTargetAndNoTempFile() throws Exception {
    Path f = Files.writeString(dir.resolve("keep.txt"), "before");
    assertThatThrownBy(() -> AtomicFiles.write(f, out -> {
      out.write(1);
      throw new java.io.IOException("disk full");
    })).isInstanceOf(java.io.UncheckedIOException.class).hasMessageContaining("keep.txt")
        .hasRootCauseMessage("disk full");
    assertThat(Files.readString(f)).isEqualTo("before");
    try (Stream<Path> s = Files.list(dir)) {
      assertThat(s.map(p -> p.getFileName().toString())).containsExactly("keep.txt");
    }
  }
}
