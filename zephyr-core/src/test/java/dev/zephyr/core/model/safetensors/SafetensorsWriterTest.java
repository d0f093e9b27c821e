package dev.zephyr.core.model.safetensors;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import dev.zephyr.core.io.Json;
import dev.zephyr.core.testing.TestData;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The writer: layout like the Python reference, every dtype round trips, rounding on the way down, sharding. */
class SafetensorsWriterTest {
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
  void rewritingTheF32FixtureReproducesItsBytesExactly() throws IOException {
    Path original = TestData.path("fixtures", "llama-gqa-f32", "model.safetensors");
    Path copy = tmp.resolve("copy.safetensors");
    Safetensors.save(copy, Safetensors.load(original, manager), Dtype.F32);
    assertThat(Files.readAllBytes(copy)).isEqualTo(Files.readAllBytes(original));
  }

  @Test
  void rewritingTheBf16FixtureReproducesItsBytesExactly() throws IOException {
    Path original = TestData.path("fixtures", "qwen2-tied-bf16", "model.safetensors");
    Path copy = tmp.resolve("copy.safetensors");
    Safetensors.save(copy, Safetensors.load(original, manager), Dtype.BF16);
    assertThat(Files.readAllBytes(copy)).isEqualTo(Files.readAllBytes(original));
  }

  @Test
  void headerIsSortedPaddedAndTaggedPt() throws IOException {
    Map<String, NDArray> tensors = new LinkedHashMap<>();
    tensors.put("z.weight", manager.create(new float[] {1, 2, 3}));
    tensors.put("a.weight", manager.create(new float[] {4, 5}, new Shape(1, 2)));
    Path f = tmp.resolve("small.safetensors");
    Safetensors.save(f, tensors, Dtype.F32);

    byte[] bytes = Files.readAllBytes(f);
    long headerLength = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
    assertThat(headerLength % 8).isZero();
    String json = new String(bytes, 8, (int) headerLength, java.nio.charset.StandardCharsets.UTF_8);
    assertThat(json.stripTrailing()).isEqualTo("{\"__metadata__\":{\"format\":\"pt\"},"
        + "\"a.weight\":{\"dtype\":\"F32\",\"shape\":[1,2],\"data_offsets\":[0,8]},"
        + "\"z.weight\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[8,20]}}");
    assertThat(bytes.length).isEqualTo(8 + headerLength + 20);
    ByteBuffer data = ByteBuffer.wrap(bytes, 8 + (int) headerLength, 20).order(ByteOrder.LITTLE_ENDIAN);
    assertThat(data.getFloat()).isEqualTo(4f); // a.weight comes first
  }

  @Test
  void f32RoundTripIsExact() {
    float[] values = {0f, -0f, 1.5f, -3.25e-7f, Float.MAX_VALUE, Float.MIN_VALUE, Float.NEGATIVE_INFINITY};
    Map<String, NDArray> back = roundTrip(Map.of("w", manager.create(values)), Dtype.F32, "f32.safetensors");
    assertThat(back.get("w").toFloatArray()).containsExactly(values);
  }

  @Test
  void bf16RoundTripRoundsToNearestEven() {
    float[] values = {1f, Float.intBitsToFloat(0x3F808000), Float.intBitsToFloat(0x3F818000), Float.MAX_VALUE,
        Float.NaN, -0.5f};
    NDArray w = manager.create(values, new Shape(2, 3));
    Map<String, NDArray> back = roundTrip(Map.of("w", w), Dtype.BF16, "bf16.safetensors");
    assertThat(back.get("w").getShape()).isEqualTo(new Shape(2, 3));
    float[] got = back.get("w").toFloatArray();
    assertThat(got[0]).isEqualTo(1f);
    assertThat(got[1]).isEqualTo(1f); // tie to even
    assertThat(got[2]).isEqualTo(Float.intBitsToFloat(0x3F820000)); // tie to even, upwards
    assertThat(got[3]).isEqualTo(Float.POSITIVE_INFINITY);
    assertThat(got[4]).isNaN();
    assertThat(got[5]).isEqualTo(-0.5f);
  }

  @Test
  void f16RoundTripRoundsToNearestEven() {
    float[] values = {1f, 1 + 0x1p-11f, 65520f, 0x1p-25f, 3 * 0x1p-25f, 0.1f, Float.NaN};
    Map<String, NDArray> back = roundTrip(Map.of("w", manager.create(values)), Dtype.F16, "f16.safetensors");
    float[] got = back.get("w").toFloatArray();
    assertThat(got).startsWith(1f, 1f, Float.POSITIVE_INFINITY, 0f, 2 * 0x1p-24f, 0.0999755859375f);
    assertThat(got[6]).isNaN();
  }

  @Test
  void integerAndBooleanArraysKeepTheirType() {
    Map<String, NDArray> tensors = new LinkedHashMap<>();
    tensors.put("i64", manager.create(new long[] {Long.MIN_VALUE, -1, 42}));
    tensors.put("i32", manager.create(new int[] {-7, 8}));
    tensors.put("u8", manager.create(new byte[] {(byte) 255, 1}).toType(DataType.UINT8, false));
    tensors.put("i8", manager.create(new byte[] {-128, 127}));
    tensors.put("flag", manager.create(new boolean[] {true, false, true}));
    Path f = tmp.resolve("ints.safetensors");
    Safetensors.save(f, tensors, Dtype.BF16);
    assertThat(Safetensors.readHeader(f).tensors().stream().map(t -> t.name() + ":" + t.dtype()))
        .containsExactly("flag:BOOL", "i32:I32", "i64:I64", "i8:I8", "u8:U8");
    Map<String, NDArray> back = Safetensors.load(f, manager);
    assertThat(back.get("i64").toLongArray()).containsExactly(Long.MIN_VALUE, -1, 42);
    assertThat(back.get("i32").toIntArray()).containsExactly(-7, 8);
    assertThat(back.get("u8").toUint8Array()).containsExactly(255, 1);
    assertThat(back.get("i8").toByteArray()).containsExactly(-128, 127);
    assertThat(back.get("flag").toBooleanArray()).containsExactly(true, false, true);
  }

  @Test
  void scalarsAndEmptyTensorsRoundTrip() {
    Map<String, NDArray> tensors = new LinkedHashMap<>();
    tensors.put("scalar", manager.create(2.5f));
    tensors.put("empty", manager.create(new float[0], new Shape(0, 4)));
    Map<String, NDArray> back = roundTrip(tensors, Dtype.F16, "edge.safetensors");
    assertThat(back.get("scalar").getShape()).isEqualTo(new Shape());
    assertThat(back.get("scalar").toFloatArray()).containsExactly(2.5f);
    assertThat(back.get("empty").getShape()).isEqualTo(new Shape(0, 4));
  }

  @Test
  void shardsAboveTheThresholdAndWritesAnIndex() throws IOException {
    Map<String, NDArray> tensors = new LinkedHashMap<>();
    for (String name : List.of("e", "d", "c", "b", "a")) {
      tensors.put(name, manager.randomNormal(new Shape(32, 32))); // 4096 bytes each as F32
    }
    Path dir = tmp.resolve("sharded");
    List<Path> written = Safetensors.saveSharded(dir, tensors, Dtype.F32, 10_000);
    // Greedy in sorted order: [a, b], [c, d], [e].
    assertThat(written.stream().map(p -> p.getFileName().toString())).containsExactly(
        "model-00001-of-00003.safetensors", "model-00002-of-00003.safetensors", "model-00003-of-00003.safetensors",
        "model.safetensors.index.json");
    JsonNode index = Json.mapper().readTree(dir.resolve(Safetensors.INDEX_FILE).toFile());
    assertThat(index.at("/metadata/total_size").asLong()).isEqualTo(5 * 4096);
    assertThat(index.at("/weight_map/b").asText()).isEqualTo("model-00001-of-00003.safetensors");
    assertThat(index.at("/weight_map/c").asText()).isEqualTo("model-00002-of-00003.safetensors");
    assertThat(index.at("/weight_map/e").asText()).isEqualTo("model-00003-of-00003.safetensors");
    assertThat(Files.exists(dir.resolve(Safetensors.SINGLE_FILE))).isFalse();

    Map<String, NDArray> back = Safetensors.load(dir, manager);
    assertThat(back.keySet()).containsExactly("a", "b", "c", "d", "e");
    for (String name : tensors.keySet()) {
      assertThat(back.get(name).toFloatArray()).containsExactly(tensors.get(name).toFloatArray());
    }

    // Saving again below the threshold leaves one file and removes the old shards and index.
    Safetensors.saveSharded(dir, tensors, Dtype.BF16, 1L << 30);
    try (Stream<Path> files = Files.list(dir)) {
      assertThat(files.map(p -> p.getFileName().toString()).collect(Collectors.toList()))
          .containsExactly(Safetensors.SINGLE_FILE);
    }
    assertThat(Safetensors.load(dir, manager)).hasSize(5);
  }

  @Test
  void aTensorLargerThanTheLimitGetsItsOwnShard() throws IOException {
    Map<String, NDArray> tensors = new LinkedHashMap<>();
    tensors.put("big", manager.zeros(new Shape(100)));
    tensors.put("small", manager.zeros(new Shape(2)));
    Path dir = tmp.resolve("big");
    List<Path> written = Safetensors.saveSharded(dir, tensors, Dtype.F32, 16);
    assertThat(written).hasSize(3);
    assertThat(Safetensors.readHeader(written.get(0)).tensors()).extracting(TensorInfo::name).containsExactly("big");
  }

  private Map<String, NDArray> roundTrip(Map<String, NDArray> tensors, Dtype dtype, String name) {
    Path f = tmp.resolve(name);
    Safetensors.save(f, tensors, dtype);
    assertThat(Safetensors.readHeader(f).tensors()).allMatch(t -> t.dtype() == dtype);
    return Safetensors.load(f, manager);
  }
}
