package dev.zephyr.train.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DigestsTest {
  @TempDir Path tmp;

  @Test
  void fileDigestIsTheKnownSha256() throws Exception {
    Path f = Files.writeString(tmp.resolve("abc.txt"), "abc");
    assertThat(Digests.sha256(f))
        .isEqualTo("sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assertThat(Digests.sha256("abc")).isEqualTo(Digests.sha256(f));
  }

  @Test
  void directoryDigestDependsOnNamesAndContentNotOnOrderOrHiddenFiles() throws Exception {
    Path a = Files.createDirectories(tmp.resolve("a/sub"));
    Files.writeString(tmp.resolve("a/x.json"), "1");
    Files.writeString(a.resolve("y.bin"), "2");
    Path b = Files.createDirectories(tmp.resolve("b/sub"));
    Files.writeString(b.resolve("y.bin"), "2");
    Files.writeString(tmp.resolve("b/x.json"), "1");
    Files.writeString(tmp.resolve("b/.x.json.123.tmp"), "half written");
    assertThat(Digests.sha256(tmp.resolve("a"))).isEqualTo(Digests.sha256(tmp.resolve("b")));

    Files.writeString(b.resolve("y.bin"), "3");
    assertThat(Digests.sha256(tmp.resolve("a"))).isNotEqualTo(Digests.sha256(tmp.resolve("b")));
    Files.writeString(b.resolve("y.bin"), "2");
    Files.move(b.resolve("y.bin"), b.resolve("z.bin"));
    assertThat(Digests.sha256(tmp.resolve("a"))).isNotEqualTo(Digests.sha256(tmp.resolve("b")));
  }

  @Test
  void statChangesWhenAFileIsRewrittenEvenWithTheSameSize() throws Exception {
    Path f = Files.writeString(tmp.resolve("prefs.jsonl"), "[1]");
    String before = Digests.stat(f);
    assertThat(Digests.stat(f)).isEqualTo(before);
    Path replacement = Files.writeString(tmp.resolve(".prefs.tmp"), "[2]");
    Files.move(replacement, f, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    assertThat(Digests.stat(f)).isNotEqualTo(before);
    assertThat(Digests.stat(tmp)).startsWith("stat:");
  }
}
