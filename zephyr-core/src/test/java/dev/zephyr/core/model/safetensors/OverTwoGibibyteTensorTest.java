package dev.zephyr.core.model.safetensors;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;
import org.junit.jupiter.api.io.TempDir;

/**
 * One float32 tensor just over 2 GiB (an embedding-shaped 131073 x 4096, the size class of Qwen2.5-7B's 152064 x
 * 3584) read and written for real. The tensor exists once in native memory: the input file is streamed from a
 * formula, and the written file is compared with it by streaming. Needs about 2.2 GB of native memory and 4.4 GB of
 * temporary disk; skipped where the disk has less than 6 GB or the machine less than 4 GB of memory free.
 */
@Tag("large")
@EnabledIf("enoughDiskAndMemory")
class OverTwoGibibyteTensorTest {
  private static final long ROWS = 131_073;
  private static final long COLS = 4096;
  private static final long ELEMENTS = ROWS * COLS; // 536,875,008 floats = 2,147,500,032 bytes > 2^31

  @TempDir Path tmp;

  static boolean enoughDiskAndMemory() throws IOException {
    var os = (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
        .getOperatingSystemMXBean();
    return Files.getFileStore(Path.of(System.getProperty("java.io.tmpdir"))).getUsableSpace() > 6_000_000_000L
        && os.getFreeMemorySize() > 4_000_000_000L;
  }

  /** Distinct, exactly representable values: element i holds i mod 2^24, negated on odd rows. */
  private static float valueAt(long i) {
    float v = i & 0xFFFFFF;
    return (i / COLS) % 2 == 1 ? -v : v;
  }

  @Test
  void readsAndWritesAFloat32TensorBeyondTwoGibibytes() throws IOException {
    assertThat(ELEMENTS * 4).isGreaterThan(1L << 31);
    Path input = tmp.resolve("in.safetensors");
    long dataOffset = writeByFormula(input);

    try (NDManager manager = NDManager.newBaseManager()) {
      NDArray w = Safetensors.load(input, manager).get("model.embed_tokens.weight");
      assertThat(w.getShape()).isEqualTo(new Shape(ROWS, COLS));
      long boundary = (1L << 31) / 4; // first element past byte 2^31 of the tensor
      for (long i : new long[] {0, 1, COLS + 3, boundary - 1, boundary, boundary + 1, boundary + 5,
          ELEMENTS - 1}) {
        assertThat(w.getFloat(i / COLS, i % COLS)).as("element %d", i).isEqualTo(valueAt(i));
      }

      Path output = tmp.resolve("out.safetensors");
      Safetensors.save(output, Map.of("model.embed_tokens.weight", w), Dtype.F32);
      assertThat(Safetensors.readHeader(output).dataOffset()).isEqualTo(dataOffset);
      assertSameBytes(input, output);
    }
  }

  /** Writes the safetensors header the way our writer pads it, then the tensor's bytes from {@link #valueAt}. */
  private static long writeByFormula(Path file) throws IOException {
    String json = "{\"__metadata__\":{\"format\":\"pt\"},\"model.embed_tokens.weight\":{\"dtype\":\"F32\",\"shape\":["
        + ROWS + "," + COLS + "],\"data_offsets\":[0," + ELEMENTS * 4 + "]}}";
    byte[] header = json.getBytes(StandardCharsets.UTF_8);
    int padded = (header.length + 7) / 8 * 8;
    ByteBuffer buffer = ByteBuffer.allocateDirect(8 << 20).order(ByteOrder.LITTLE_ENDIAN);
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      buffer.putLong(padded).put(header);
      for (int i = header.length; i < padded; i++) {
        buffer.put((byte) ' ');
      }
      drain(ch, buffer);
      float[] block = new float[(int) COLS * 256];
      for (long start = 0; start < ELEMENTS; start += block.length) {
        int n = (int) Math.min(block.length, ELEMENTS - start);
        for (int j = 0; j < n; j++) {
          block[j] = valueAt(start + j);
        }
        buffer.asFloatBuffer().put(block, 0, n); // buffer is little-endian, as the format requires
        buffer.limit(n * 4);
        while (buffer.hasRemaining()) {
          ch.write(buffer);
        }
        buffer.clear();
      }
    }
    return 8L + padded;
  }

  private static void drain(FileChannel ch, ByteBuffer buffer) throws IOException {
    buffer.flip();
    while (buffer.hasRemaining()) {
      ch.write(buffer);
    }
    buffer.clear();
  }

  private static void assertSameBytes(Path a, Path b) throws IOException {
    assertThat(Files.size(b)).isEqualTo(Files.size(a));
    byte[] x = new byte[1 << 20];
    byte[] y = new byte[1 << 20];
    long offset = 0;
    try (InputStream ia = Files.newInputStream(a); InputStream ib = Files.newInputStream(b)) {
      while (true) {
        int n = ia.readNBytes(x, 0, x.length);
        int m = ib.readNBytes(y, 0, n);
        assertThat(m).isEqualTo(n);
        if (n == 0) {
          return;
        }
        if (!java.util.Arrays.equals(x, 0, n, y, 0, n)) {
          throw new AssertionError("files differ within bytes [" + offset + ", " + (offset + n) + ")");
        }
        offset += n;
      }
    }
  }
}
