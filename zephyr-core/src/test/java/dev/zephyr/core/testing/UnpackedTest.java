package dev.zephyr.core.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Unpacking gzip-stored test data: once, complete, fresh after an edit, and loud about damaged archives. */
class UnpackedTest {
  @TempDir Path root;
  @TempDir Path cache;

  private void gzip(Path file, String text) throws IOException {
    Files.createDirectories(file.getParent());
    try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(file))) {
      out.write(text.getBytes(StandardCharsets.UTF_8));
    }
  }

  private List<Path> cacheEntries() throws IOException {
    try (Stream<Path> s = Files.list(cache)) {
      return s.toList();
    }
  }

  @Test
  void fileIsUnpackedOnceUnderItsOwnName() throws IOException {
    gzip(root.resolve("a/b.json.gz"), "{\"x\": 1}");
    Path first = Unpacked.file(root, Path.of("a/b.json"), cache);
    assertThat(first).startsWith(cache).endsWith(Path.of("a/b.json"));
    assertThat(Files.readString(first)).isEqualTo("{\"x\": 1}");
    long written = Files.getLastModifiedTime(first).toMillis();

    assertThat(Unpacked.file(root, Path.of("a/b.json"), cache)).isEqualTo(first);
    assertThat(Files.getLastModifiedTime(first).toMillis()).isEqualTo(written);
    // one digest folder, no staging folder left behind
    assertThat(cacheEntries()).hasSize(1);
  }

  @Test
  void anEditedArchiveGetsAFreshCopy() throws IOException {
    gzip(root.resolve("b.json.gz"), "old");
    Path old = Unpacked.file(root, Path.of("b.json"), cache);
    gzip(root.resolve("b.json.gz"), "new");
    Path fresh = Unpacked.file(root, Path.of("b.json"), cache);
    assertThat(fresh).isNotEqualTo(old);
    assertThat(Files.readString(fresh)).isEqualTo("new");
    assertThat(Files.readString(old)).isEqualTo("old");
  }

  @Test
  void directoryCopyUnpacksArchivesAndKeepsPlainFiles() throws IOException {
    gzip(root.resolve("tok/tokenizer.json.gz"), "{\"model\": {}}");
    Files.writeString(root.resolve("tok/tokenizer_config.json"), "{}");
    assertThat(Unpacked.hasPackedFiles(root.resolve("tok"))).isTrue();

    Path dir = Unpacked.directory(root, Path.of("tok"), cache);
    assertThat(dir.getFileName().toString()).isEqualTo("tok");
    try (Stream<Path> s = Files.list(dir)) {
      assertThat(s.map(p -> p.getFileName().toString()))
          .containsExactlyInAnyOrder("tokenizer.json", "tokenizer_config.json");
    }
    assertThat(Files.readString(dir.resolve("tokenizer.json"))).isEqualTo("{\"model\": {}}");
    assertThat(Files.readString(dir.resolve("tokenizer_config.json"))).isEqualTo("{}");
  }

  @Test
  void plainDirectoryHasNothingToUnpack() throws IOException {
    Files.createDirectories(root.resolve("plain/sub"));
    Files.writeString(root.resolve("plain/sub/q.jsonl"), "{}\n");
    assertThat(Unpacked.hasPackedFiles(root.resolve("plain"))).isFalse();
  }

  @Test
  void damagedArchiveNamesTheFileAndLeavesNoPartialCopy() throws IOException {
    Files.write(root.resolve("bad.json.gz"), new byte[] {1, 2, 3, 4});
    assertThatThrownBy(() -> Unpacked.file(root, Path.of("bad.json"), cache))
        .isInstanceOf(UncheckedIOException.class)
        .hasMessageContaining("bad.json.gz");
    assertThat(cacheEntries()).isEmpty();
  }

  @Test
  void testDataFindsStoredAndPackedFilesAndNamesWhatIsMissing() throws IOException {
    Path stored = TestData.path("mt_bench", "question.jsonl");
    assertThat(stored).isEqualTo(TestData.dir().resolve("mt_bench/question.jsonl"));
    Path unpacked = TestData.path("tokenizers", "qwen3", "tokenizer.json");
    assertThat(unpacked.toString()).doesNotEndWith(".gz");
    assertThat(Files.readString(unpacked)).startsWith("{");
    assertThatThrownBy(() -> TestData.path("no_such", "file.json"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("no_such/file.json")
        .hasMessageContaining("file.json.gz");
  }
}
