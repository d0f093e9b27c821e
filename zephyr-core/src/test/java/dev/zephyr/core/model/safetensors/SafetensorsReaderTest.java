package dev.zephyr.core.model.safetensors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.zephyr.core.CheckpointException;
import dev.zephyr.core.testing.TestData;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading the testdata fixtures, and refusing hostile or damaged files with errors that name file and tensor. */
class SafetensorsReaderTest {
  @TempDir Path tmp;
  private NDManager manager;

  @BeforeEach
  void open() {
    manager = NDManager.newBaseManager();
  }

  @AfterEach
  void close() {
    manager.close();
  }

  @Test
  void readsLlamaF32FixtureInFileOrderWithExactValues() {
    Path dir = TestData.path("fixtures", "llama-gqa-f32");
    Map<String, NDArray> w = Safetensors.load(dir, manager);
    assertThat(w).hasSize(21);
    List<String> names = List.copyOf(w.keySet());
    assertThat(names.get(0)).isEqualTo("lm_head.weight");
    assertThat(names.get(20)).isEqualTo("model.norm.weight");
    NDArray embed = w.get("model.embed_tokens.weight");
    assertThat(embed.getShape()).isEqualTo(new Shape(1024, 64));
    assertThat(embed.getDataType()).isEqualTo(DataType.FLOAT32);
    float[] e = embed.toFloatArray();
    assertThat(e[0]).isEqualTo(-0.12769939005374908f);
    assertThat(e[1]).isEqualTo(0.2570679485797882f);
    assertThat(e[e.length - 1]).isEqualTo(-0.20506852865219116f);
    assertThat(w.get("model.layers.0.self_attn.k_proj.weight").getShape()).isEqualTo(new Shape(32, 64));
    assertThat(w.get("model.norm.weight").toFloatArray()[2]).isEqualTo(1.1513731479644775f);
  }

  @Test
  void readsBf16FixtureWidenedToFloat32() {
    Path file = TestData.path("fixtures", "qwen2-tied-bf16", "model.safetensors");
    SafetensorsHeader header = Safetensors.readHeader(file);
    assertThat(header.metadata()).containsEntry("format", "pt");
    assertThat(header.tensors()).hasSize(26);
    assertThat(header.tensors()).allMatch(t -> t.dtype() == Dtype.BF16);
    assertThat(header.tensor("lm_head.weight")).isEmpty(); // tied embeddings
    assertThat(header.tensor("model.layers.1.self_attn.k_proj.bias").orElseThrow().shape()).isEqualTo(new Shape(32));

    Map<String, NDArray> w = Safetensors.load(file, manager);
    float[] bias = w.get("model.layers.1.self_attn.k_proj.bias").toFloatArray();
    assertThat(bias).startsWith(-0.95703125f, 1.0390625f, 1.953125f);
    assertThat(bias[31]).isEqualTo(0.6015625f);
    assertThat(w.get("model.norm.weight").toFloatArray()).startsWith(1.0625f, 0.98828125f, 1.125f);
    // Every widened value is exactly a bfloat16: the low 16 bits of its float32 pattern are zero.
    for (NDArray a : w.values()) {
      assertThat(a.getDataType()).isEqualTo(DataType.FLOAT32);
      for (float f : a.toFloatArray()) {
        assertThat(Float.floatToRawIntBits(f) & 0xFFFF).isZero();
      }
    }
  }

  @Test
  void readsMistralFixtureShapes() {
    Map<String, NDArray> w = Safetensors.load(TestData.path("fixtures", "mistral-window8-f32"), manager);
    assertThat(w.get("model.layers.0.self_attn.k_proj.weight").getShape()).isEqualTo(new Shape(16, 64));
    assertThat(w.get("model.layers.0.self_attn.q_proj.weight").toFloatArray()[0]).isEqualTo(-0.17860281467437744f);
  }

  /**
   * A tensor that starts past 2 GiB into the file loads correctly (each tensor is mapped on its own, at a long
   * offset). The 2 GiB in front of it is a sparse hole, so the test costs no disk and the pad is never read.
   */
  @Test
  void readsATensorBeyondTwoGibibytesOfFile() throws IOException {
    long pad = (1L << 31) + 24;
    String header = "{" + entry("pad", "U8", "[" + pad + "]", 0, pad) + "," + entry("w", "F32", "[3]", pad, pad + 12)
        + "}";
    byte[] json = header.getBytes(StandardCharsets.UTF_8);
    Path f = tmp.resolve("big.safetensors");
    try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(f,
        java.nio.file.StandardOpenOption.CREATE_NEW, java.nio.file.StandardOpenOption.WRITE,
        java.nio.file.StandardOpenOption.SPARSE)) {
      ByteBuffer head = ByteBuffer.allocate(8 + json.length).order(ByteOrder.LITTLE_ENDIAN);
      head.putLong(json.length).put(json).flip();
      ch.write(head, 0);
      ByteBuffer w = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN).putFloat(1.5f).putFloat(-2f)
          .putFloat(3.25f).flip();
      ch.write(w, 8 + json.length + pad);
    }
    assertThat(Safetensors.readHeader(f).tensor("w").orElseThrow().begin()).isEqualTo(pad);
    Map<String, NDArray> w = Safetensors.load(f, manager, name -> name.equals("w"));
    assertThat(w).containsOnlyKeys("w");
    assertThat(w.get("w").toFloatArray()).containsExactly(1.5f, -2f, 3.25f);
  }

  @Test
  void selectiveLoadSkipsShardsWithoutWantedTensors() throws IOException {
    Path dir = Files.createDirectories(tmp.resolve("select"));
    Map<String, NDArray> tensors = new java.util.LinkedHashMap<>();
    tensors.put("a", manager.create(new float[] {1, 2}));
    tensors.put("b", manager.create(new float[] {3, 4}));
    Safetensors.saveSharded(dir, tensors, Dtype.F32, 8);
    // Corrupt the shard holding "b": a selective load of "a" must not even open it.
    Files.write(dir.resolve("model-00002-of-00002.safetensors"), new byte[] {1});
    assertThat(Safetensors.load(dir, manager, "a"::equals).get("a").toFloatArray()).containsExactly(1, 2);
    assertThatThrownBy(() -> Safetensors.load(dir, manager)).isInstanceOf(CheckpointException.class)
        .hasMessageContaining("model-00002-of-00002.safetensors");
  }

  // ---- hostile and broken files ------------------------------------------------------------------------------

  @Test
  void refusesFileShorterThanTheLengthPrefix() throws IOException {
    Path f = Files.write(tmp.resolve("short.safetensors"), new byte[] {1, 2, 3});
    assertFails(f, "short.safetensors", "truncated");
  }

  @Test
  void refusesHeaderLengthBeyondTheFile() throws IOException {
    Path f = write("beyond.safetensors", 5000, "{}", 0);
    assertFails(f, "beyond.safetensors", "runs past the end");
  }

  @Test
  void refusesAbsurdHeaderLength() throws IOException {
    Path f = write("huge.safetensors", 1L << 40, "{}", 0);
    assertFails(f, "huge.safetensors", "limit");
    Path negative = write("negative.safetensors", -1L, "{}", 0);
    assertFails(negative, "negative.safetensors", "limit");
  }

  @Test
  void refusesInvalidJson() throws IOException {
    assertFails(write("bad.safetensors", "{\"a\": {\"dtype\": \"F32\",", 0), "bad.safetensors", "not valid JSON");
    assertFails(write("array.safetensors", "[1, 2]", 0), "array.safetensors", "does not start with '{'");
  }

  @Test
  void refusesOffsetsOutOfRange() throws IOException {
    Path f = write("range.safetensors", tensor("w", "F32", "[4]", 0, 16), 8);
    assertFails(f, "range.safetensors", "'w'", "truncated");
  }

  @Test
  void refusesOverlappingTensors() throws IOException {
    String header = "{" + entry("a", "F32", "[2]", 0, 8) + "," + entry("b", "F32", "[2]", 4, 12) + "}";
    assertFails(write("overlap.safetensors", header, 12), "overlap.safetensors", "'b'", "overlaps");
  }

  @Test
  void refusesGapsAndTrailingBytes() throws IOException {
    String gap = "{" + entry("a", "F32", "[2]", 0, 8) + "," + entry("b", "F32", "[2]", 12, 20) + "}";
    assertFails(write("gap.safetensors", gap, 20), "gap.safetensors", "'b'", "contiguous");
    assertFails(write("trailing.safetensors", tensor("a", "F32", "[2]", 0, 8), 12), "trailing.safetensors",
        "trailing");
  }

  @Test
  void refusesShapeAndByteCountMismatch() throws IOException {
    Path f = write("mismatch.safetensors", tensor("w", "BF16", "[2,3]", 0, 24), 24);
    assertFails(f, "mismatch.safetensors", "'w'", "needs 12 bytes", "span 24");
  }

  @Test
  void refusesNegativeDimensions() throws IOException {
    Path f = write("negdim.safetensors", tensor("w", "F32", "[-1,4]", 0, 16), 16);
    assertFails(f, "negdim.safetensors", "'w'", "non-negative");
  }

  @Test
  void refusesDuplicateTensorNames() throws IOException {
    String header = "{" + entry("w", "F32", "[1]", 0, 4) + "," + entry("w", "F32", "[1]", 4, 8) + "}";
    assertFails(write("dup.safetensors", header, 8), "dup.safetensors", "Duplicate field 'w'");
  }

  @Test
  void refusesTruncatedData() throws IOException {
    Path f = write("cut.safetensors", tensor("w", "F32", "[1024]", 0, 4096), 1000);
    assertFails(f, "cut.safetensors", "'w'", "truncated");
  }

  @Test
  void refusesUnknownDtype() throws IOException {
    Path f = write("dtype.safetensors", tensor("w", "F8_E4M3", "[4]", 0, 4), 4);
    assertFails(f, "dtype.safetensors", "'w'", "unsupported dtype 'F8_E4M3'");
  }

  @Test
  void refusesIndexNamingAMissingShard() throws IOException {
    Path dir = Files.createDirectories(tmp.resolve("sharded"));
    Files.writeString(dir.resolve(Safetensors.INDEX_FILE),
        "{\"metadata\":{\"total_size\":4},\"weight_map\":{\"w\":\"model-00001-of-00002.safetensors\"}}");
    assertThatThrownBy(() -> Safetensors.load(dir, manager)).isInstanceOf(CheckpointException.class)
        .hasMessageContaining(Safetensors.INDEX_FILE).hasMessageContaining("model-00001-of-00002.safetensors")
        .hasMessageContaining("does not exist");
  }

  @Test
  void refusesIndexPlacingATensorInAShardThatLacksIt() throws IOException {
    Path dir = Files.createDirectories(tmp.resolve("misplaced"));
    Files.copy(write("model-00001-of-00001.safetensors", tensor("a", "F32", "[1]", 0, 4), 4),
        dir.resolve("model-00001-of-00001.safetensors"));
    Files.writeString(dir.resolve(Safetensors.INDEX_FILE),
        "{\"weight_map\":{\"a\":\"model-00001-of-00001.safetensors\",\"b\":\"model-00001-of-00001.safetensors\"}}");
    assertThatThrownBy(() -> Safetensors.load(dir, manager)).isInstanceOf(CheckpointException.class)
        .hasMessageContaining("'b'").hasMessageContaining("has no such tensor");
  }

  @Test
  void refusesShapesWhoseSizeOverflows() throws IOException {
    Path f = write("overflow.safetensors", tensor("w", "F32", "[4294967296,4294967296]", 0, 0), 0);
    assertFails(f, "overflow.safetensors", "'w'", "too many elements");
  }

  @Test
  void refusesMalformedEntries() throws IOException {
    assertFails(write("noshape.safetensors", "{\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", 4),
        "noshape.safetensors", "'w'", "shape");
    assertFails(write("meta.safetensors", "{\"__metadata__\":{\"format\":1}}", 0), "meta.safetensors",
        "__metadata__['format'] must be a string");
    assertFails(write("backwards.safetensors", tensor("w", "F32", "[0]", 8, 4), 8), "backwards.safetensors", "'w'",
        "end before they begin");
  }

  @Test
  void refusesIndexEscapingTheDirectory() throws IOException {
    Path dir = Files.createDirectories(tmp.resolve("escape"));
    Files.writeString(dir.resolve(Safetensors.INDEX_FILE), "{\"weight_map\":{\"w\":\"../evil.safetensors\"}}");
    assertThatThrownBy(() -> Safetensors.load(dir, manager)).isInstanceOf(CheckpointException.class)
        .hasMessageContaining("same directory");
  }

  @Test
  void refusesPickleOnlyDirectory() throws IOException {
    Path dir = Files.createDirectories(tmp.resolve("pickle"));
    Files.write(dir.resolve("pytorch_model.bin"), new byte[] {(byte) 0x80, 2});
    assertThatThrownBy(() -> Safetensors.load(dir, manager)).isInstanceOf(CheckpointException.class)
        .hasMessageContaining("pytorch_model.bin").hasMessageContaining("pickle");
  }

  @Test
  void refusesShardedPickleDirectoryNamingItsFiles() throws IOException {
    Path dir = Files.createDirectories(tmp.resolve("pickle-shards"));
    Files.write(dir.resolve("pytorch_model-00001-of-00002.bin"), new byte[] {(byte) 0x80, 2});
    Files.writeString(dir.resolve("pytorch_model.bin.index.json"), "{}");
    assertThatThrownBy(() -> Safetensors.load(dir, manager)).isInstanceOf(CheckpointException.class)
        .hasMessageContaining("pytorch_model-00001-of-00002.bin").hasMessageContaining("never loads pickle");
  }

  @Test
  void aSingleFileWinsOverAnIndexAsInTransformers() throws IOException {
    Path dir = Files.createDirectories(tmp.resolve("both"));
    Files.copy(TestData.path("fixtures", "llama-gqa-f32", "model.safetensors"), dir.resolve("model.safetensors"));
    Files.writeString(dir.resolve(Safetensors.INDEX_FILE), "{\"weight_map\":{\"w\":\"missing.safetensors\"}}");
    assertThat(Safetensors.checkpointFiles(dir)).containsExactly(dir.resolve("model.safetensors"));
    assertThat(Safetensors.load(dir, manager)).hasSize(21);
  }

  @Test
  void refusesDirectoryWithoutWeights() {
    assertThatThrownBy(() -> Safetensors.load(tmp, manager)).isInstanceOf(CheckpointException.class)
        .hasMessageContaining("no model.safetensors");
  }

  @Test
  void readsHandWrittenScalarAndIntegerTensors() throws IOException {
    String header = "{\"__metadata__\":{\"format\":\"pt\"}," + entry("ids", "I64", "[2]", 0, 16) + ","
        + entry("s", "F16", "[]", 16, 18) + "}";
    ByteBuffer data = ByteBuffer.allocate(18).order(ByteOrder.LITTLE_ENDIAN);
    data.putLong(7).putLong(-3).putShort((short) 0x3C00); // 1.0 in binary16
    Path f = tmp.resolve("mixed.safetensors");
    Files.write(f, fileBytes(header.getBytes(StandardCharsets.UTF_8).length, header, data.array()));
    Map<String, NDArray> w = Safetensors.load(f, manager);
    assertThat(w.get("ids").getDataType()).isEqualTo(DataType.INT64);
    assertThat(w.get("ids").toLongArray()).containsExactly(7L, -3L);
    assertThat(w.get("s").getShape()).isEqualTo(new Shape());
    assertThat(w.get("s").toFloatArray()).containsExactly(1.0f);
  }

  // ---- helpers -------------------------------------------------------------------------------------------------

  private void assertFails(Path file, String... fragments) {
    var header = assertThatThrownBy(() -> Safetensors.load(file, manager)).isInstanceOf(CheckpointException.class);
    for (String f : fragments) {
      header.hasMessageContaining(f);
    }
  }

  private static String entry(String name, String dtype, String shape, long begin, long end) {
    return "\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape + ",\"data_offsets\":[" + begin + ","
        + end + "]}";
  }

  private static String tensor(String name, String dtype, String shape, long begin, long end) {
    return "{" + entry(name, dtype, shape, begin, end) + "}";
  }

  private Path write(String name, String header, int dataBytes) throws IOException {
    return write(name, header.getBytes(StandardCharsets.UTF_8).length, header, dataBytes);
  }

  private Path write(String name, long declaredLength, String header, int dataBytes) throws IOException {
    Path f = tmp.resolve(name);
    Files.write(f, fileBytes(declaredLength, header, new byte[dataBytes]));
    return f;
  }

  private static byte[] fileBytes(long declaredLength, String header, byte[] data) {
    byte[] json = header.getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.allocate(8 + json.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(declaredLength).put(json).put(data);
    return b.array();
  }
}
