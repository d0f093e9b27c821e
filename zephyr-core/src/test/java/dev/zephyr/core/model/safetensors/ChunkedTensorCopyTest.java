package dev.zephyr.core.model.safetensors;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The chunked copy that lets tensors exceed 2 GiB, exercised with chunks of a few bytes so that every chunk boundary
 * case (first, middle, partial last) happens on small tensors.
 */
class ChunkedTensorCopyTest {
  /** 3 float32 per chunk: boundaries fall inside rows of the 5 x 7 tensor below. */
  private static final long TINY_CHUNK = 12;

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

  /** Values exact in bf16 and f16 alike (8 significant bits at most, small exponents), with signs and a zero. */
  private static float[] exactValues(int n) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (i % 2 == 0 ? 1 : -1) * (i * 0.25f);
    }
    return v;
  }

  @ParameterizedTest
  @EnumSource(value = Dtype.class, names = {"F32", "BF16", "F16"})
  void tinyChunksRoundTripExactlyAndWriteTheSameBytesAsOneChunk(Dtype dtype) throws IOException {
    float[] values = exactValues(35);
    NDArray w = manager.create(values, new Shape(5, 7));
    Path chunked = tmp.resolve("chunked.safetensors");
    Path whole = tmp.resolve("whole.safetensors");
    Safetensors.save(chunked, Map.of("w", w), dtype, TINY_CHUNK);
    Safetensors.save(whole, Map.of("w", w), dtype);
    assertThat(Files.readAllBytes(chunked)).isEqualTo(Files.readAllBytes(whole));

    NDArray back = Safetensors.load(chunked, manager, name -> true, TINY_CHUNK).get("w");
    assertThat(back.getShape()).isEqualTo(new Shape(5, 7));
    assertThat(back.getDataType()).isEqualTo(DataType.FLOAT32);
    assertThat(back.toFloatArray()).containsExactly(values);
  }

  @ParameterizedTest
  @EnumSource(value = Dtype.class, names = {"BF16", "F16"})
  void keptSixteenBitDataHoldsTheFileBitsAndWidensToTheLoadedValues(Dtype dtype) throws IOException {
    float[] values = exactValues(35);
    values[3] = 1.0e-3f; // rounds: the kept bits must be the file's rounded bits, not the original float
    Path file = tmp.resolve("w.safetensors");
    Safetensors.save(file, Map.of("w", manager.create(values, new Shape(5, 7))), dtype);

    StoredTensor kept = Safetensors.loadStored(file, manager, name -> true, true, 6).get("w"); // 3 halves a chunk
    assertThat(kept.storedAs()).isEqualTo(dtype);
    assertThat(kept.isRaw16()).isTrue();
    assertThat(kept.array().getDataType()).isEqualTo(DataType.FLOAT16);
    assertThat(kept.array().getShape()).isEqualTo(new Shape(5, 7));
    SafetensorsHeader header = Safetensors.readHeader(file);
    byte[] fileBytes = Files.readAllBytes(file);
    int start = (int) header.dataOffset();
    assertThat(kept.array().toByteArray()).isEqualTo(java.util.Arrays.copyOfRange(fileBytes, start, start + 70));

    float[] widened = StoredTensor.widen(dtype, kept.array(), manager).toFloatArray();
    float[] loaded = Safetensors.load(file, manager).get("w").toFloatArray();
    assertThat(widened).containsExactly(loaded);
    assertThat(widened[3]).isEqualTo(dtype == Dtype.BF16 ? FloatFormats.bf16ToFloat((short) 0x3A83)
        : FloatFormats.f16ToFloat(FloatFormats.floatToF16(1.0e-3f)));
  }

  @Test
  void integerTensorsAreWrittenInChunksToo() throws IOException {
    long[] ids = {7, -1, Long.MAX_VALUE, 0, 42};
    Path file = tmp.resolve("ids.safetensors");
    Safetensors.save(file, Map.of("ids", manager.create(ids)), Dtype.F32, 16); // two int64 per chunk
    NDArray back = Safetensors.load(file, manager, n -> true, 8).get("ids");
    assertThat(back.getDataType()).isEqualTo(DataType.INT64);
    assertThat(back.toLongArray()).containsExactly(ids);
  }

  @Test
  void scalarsAndEmptyTensorsSurviveTheChunkedPath() throws IOException {
    Path file = tmp.resolve("odd.safetensors");
    NDArray scalar = manager.create(2.5f);
    NDArray empty = manager.create(new Shape(0, 4), DataType.FLOAT32);
    Safetensors.save(file, Map.of("s", scalar, "e", empty), Dtype.BF16, 4);
    Map<String, NDArray> back = Safetensors.load(file, manager, n -> true, 4);
    assertThat(back.get("s").getShape()).isEqualTo(new Shape());
    assertThat(back.get("s").getFloat()).isEqualTo(2.5f);
    assertThat(back.get("e").getShape()).isEqualTo(new Shape(0, 4));
  }

  @Test
  void bf16WideningMatchesTheBitRule() {
    ByteBuffer bits = ByteBuffer.allocateDirect(8).order(ByteOrder.LITTLE_ENDIAN);
    bits.putShort((short) 0x3F80).putShort((short) 0xC040).putShort((short) 0x7F80).putShort((short) 0x0001).flip();
    ByteBuffer out = ByteBuffer.allocate(16).order(ByteOrder.nativeOrder());
    TensorCopy.widen(Dtype.BF16, bits, out);
    assertThat(out.getFloat(0)).isEqualTo(1.0f);
    assertThat(out.getFloat(4)).isEqualTo(-3.0f);
    assertThat(out.getFloat(8)).isEqualTo(Float.POSITIVE_INFINITY);
    assertThat(out.getFloat(12)).isEqualTo(Float.intBitsToFloat(0x00010000)); // a subnormal stays exact
  }
}
