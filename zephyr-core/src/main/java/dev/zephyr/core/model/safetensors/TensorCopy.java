package dev.zephyr.core.model.safetensors;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import dev.zephyr.core.device.Devices;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;

/**
 * Moves tensor bytes between a file and one native array in bounded chunks, so a tensor may exceed the 2 GiB a Java
 * buffer can address (Qwen2.5-7B's embedding is 2.18 GB as float32) and is never held twice.
 *
 * <p>Reading allocates the destination array once and fills it through direct views of its own memory (one slice
 * per chunk): float32 is read straight from the file into the array, 16-bit floats pass through a small staging
 * buffer and are widened (or, when kept, copied as raw bits). The arrays are never backed by the mapped file itself,
 * because a file truncated under a mapping kills the JVM with SIGBUS and in-place training updates would write
 * through it. On another device (a GPU) each tensor is read into host memory and copied to the device once.
 */
final class TensorCopy {
  /** Default chunk: large enough to amortise per-chunk calls, small enough to keep staging buffers cheap. */
  static final long DEFAULT_CHUNK_BYTES = 8L * 1024 * 1024;

  private TensorCopy() {}

  /**
   * Reads {@code info}'s bytes at absolute file position {@code position} into a new array of {@code info}'s shape.
   *
   * @param keepRaw16 when true, F16 and BF16 data are copied bit for bit into a FLOAT16-typed array (2 bytes per
   *                  element; for BF16 the bits are bfloat16, see {@link StoredTensor}); otherwise they become float32
   * @param chunkBytes upper bound on the destination bytes handled per chunk (tests pass small values)
   * @param staging    a buffer from {@link #staging(long)} for the same {@code chunkBytes}, reused across the tensors
   *                   of a file (direct buffers are only freed by the garbage collector, so one per tensor would
   *                   pile up native memory while the heap stays quiet)
   */
  static NDArray read(FileChannel channel, long position, TensorInfo info, NDManager manager, boolean keepRaw16,
      long chunkBytes, ByteBuffer staging) throws IOException {
    if (!Devices.isHost(manager.getDevice())) {
      // the views below need host memory: read into a host array, then make one copy on the device
      try (NDManager host = NDManager.newBaseManager(Device.cpu())) {
        NDArray onHost = read(channel, position, info, host, keepRaw16, chunkBytes, staging);
        NDArray moved = onHost.toDevice(manager.getDevice(), false);
        moved.attach(manager);
        return moved;
      }
    }
    Dtype dtype = info.dtype();
    boolean half = dtype == Dtype.BF16 || dtype == Dtype.F16;
    DataType target = half && keepRaw16 ? DataType.FLOAT16 : dtype.loadedAs();
    long n = info.elementCount();
    NDArray flat = manager.create(new Shape(n), target);
    try {
      long perChunk = elementsPerChunk(chunkBytes, target.getNumOfBytes());
      boolean widen = half && !keepRaw16;
      for (long start = 0; start < n; start += perChunk) {
        long end = Math.min(n, start + perChunk);
        long filePos = position + start * dtype.byteSize();
        try (NDArray slice = flat.get(new NDIndex().addSliceDim(start, end))) {
          ByteBuffer dst = view(slice);
          if (!widen) {
            readFully(channel, dst, filePos); // same bytes in file and array: no conversion
          } else {
            staging.clear().limit((int) ((end - start) * 2));
            readFully(channel, staging, filePos);
            widen(dtype, staging, dst);
          }
        }
      }
      NDArray shaped = flat.reshape(info.shape());
      flat.close(); // the reshaped array shares the storage
      return shaped;
    } catch (IOException | RuntimeException e) {
      flat.close();
      throw e;
    }
  }

  /** Staging for the 16-bit halves of one float32 chunk of {@code chunkBytes}. */
  static ByteBuffer staging(long chunkBytes) {
    return ByteBuffer.allocateDirect((int) (elementsPerChunk(chunkBytes, 4) * 2)).order(ByteOrder.LITTLE_ENDIAN);
  }

  /**
   * Writes {@code array} to {@code out} as {@code dtype} (F32, BF16 or F16 for floating arrays, rounded like
   * PyTorch), chunk by chunk so that no copy of the whole tensor is made. Raw 16-bit arrays are widened first.
   */
  static void writeFloating(NDArray array, Dtype dtype, OutputStream out, long chunkBytes) throws IOException {
    if (!Devices.isHost(array.getDevice())) {
      try (NDArray onHost = array.toDevice(Device.cpu(), true)) { // the views below need host memory
        writeFloating(onHost, dtype, out, chunkBytes);
        return;
      }
    }
    try (NDArray f32 = array.getDataType() == DataType.FLOAT32 ? null : array.toType(DataType.FLOAT32, false);
        NDArray flat = (f32 == null ? array : f32).reshape(-1)) {
      long n = flat.size();
      long perChunk = elementsPerChunk(chunkBytes, 4);
      byte[] bytes = new byte[(int) (Math.min(perChunk, Math.max(n, 1)) * dtype.byteSize())];
      ByteBuffer encoded = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
      for (long start = 0; start < n; start += perChunk) {
        long end = Math.min(n, start + perChunk);
        int count = (int) (end - start);
        try (NDArray slice = flat.get(new NDIndex().addSliceDim(start, end))) {
          ByteBuffer src = view(slice);
          encoded.clear();
          for (int i = 0; i < count; i++) {
            float v = src.getFloat(i * 4);
            switch (dtype) {
              case F32 -> encoded.putFloat(v);
              case BF16 -> encoded.putShort(FloatFormats.floatToBf16(v));
              case F16 -> encoded.putShort(FloatFormats.floatToF16(v));
              default -> throw new IllegalArgumentException("not a floating storage type: " + dtype);
            }
          }
          out.write(bytes, 0, count * dtype.byteSize());
        }
      }
    }
  }

  /** Widens 16-bit floats in {@code src} (little-endian, position 0 to limit) into float32 at {@code dst}'s start. */
  static void widen(Dtype dtype, ByteBuffer src, ByteBuffer dst) {
    int n = src.limit() / 2;
    if (dtype == Dtype.BF16) {
      for (int i = 0; i < n; i++) {
        dst.putInt(i * 4, (src.getShort(i * 2) & 0xFFFF) << 16); // bfloat16 is the top half of a float32
      }
    } else {
      for (int i = 0; i < n; i++) {
        dst.putFloat(i * 4, FloatFormats.f16ToFloat(src.getShort(i * 2)));
      }
    }
  }

  /**
   * A direct, writable view of a contiguous CPU array's own memory (no copy), in the platform's byte order. The
   * view is only valid while {@code array} is open.
   */
  static ByteBuffer view(NDArray array) {
    ByteBuffer b = array instanceof PtNDArray pt ? pt.toByteBuffer(true) : array.toByteBuffer();
    return b.order(ByteOrder.nativeOrder());
  }

  static long elementsPerChunk(long chunkBytes, int elementBytes) {
    if (chunkBytes < elementBytes) {
      throw new IllegalArgumentException("chunk of " + chunkBytes + " bytes cannot hold one " + elementBytes
          + "-byte element");
    }
    // Staging buffers and views are Java buffers, addressed by int.
    return Math.min(chunkBytes, Integer.MAX_VALUE - 8) / elementBytes;
  }

  private static void readFully(FileChannel channel, ByteBuffer buffer, long position) throws IOException {
    long pos = position;
    while (buffer.hasRemaining()) {
      int read = channel.read(buffer, pos);
      if (read < 0) {
        throw new IOException("unexpected end of file at byte " + pos);
      }
      pos += read;
    }
  }
}
