package dev.zephyr.core.model.safetensors;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import dev.zephyr.core.device.Devices;
import java.nio.ByteBuffer;
import java.util.stream.IntStream;

/**
 * A tensor as {@link Safetensors#loadKeeping16Bit} returns it: 16-bit floats keep their 2 bytes per element.
 *
 * @param storedAs the dtype in the file
 * @param array    for {@link Dtype#F16} and {@link Dtype#BF16}: the file's 16 bits per element in a FLOAT16-typed
 *                 array (DJL's PyTorch engine cannot hold BF16, so bfloat16 bits travel in a FLOAT16 array and must
 *                 only be copied, indexed or widened with {@link #widen(Dtype, NDArray, NDManager)}, never computed
 *                 on); for other dtypes the array as {@link Safetensors#load} gives it
 */
public record StoredTensor(Dtype storedAs, NDArray array) {
  /** True when {@link #array} holds raw 16-bit data rather than values DJL can compute with. */
  public boolean isRaw16() {
    return storedAs == Dtype.BF16 || storedAs == Dtype.F16;
  }

  /**
   * Widens raw 16-bit data ({@code raw}, possibly a row selection of a stored tensor) to a new float32 array attached
   * to {@code into}; any other array is copied into {@code into} unchanged. Both conversions are exact.
   */
  public static NDArray widen(Dtype storedAs, NDArray raw, NDManager into) {
    if (storedAs != Dtype.BF16) {
      // PyTorch's f16 -> f32 conversion is exact; for other dtypes this is a plain copy
      NDArray out = raw.toType(storedAs == Dtype.F16 ? DataType.FLOAT32 : raw.getDataType(), true);
      out.attach(into);
      return out;
    }
    if (!Devices.isHost(raw.getDevice()) || !Devices.isHost(into.getDevice())) {
      return widenThroughHost(raw, into);
    }
    NDArray out = into.create(raw.getShape(), DataType.FLOAT32);
    try (NDArray src = raw.reshape(-1); NDArray dst = out.reshape(-1)) {
      long n = src.size();
      if (n * 4 <= Integer.MAX_VALUE - 8) {
        widenInParallel(TensorCopy.view(src), TensorCopy.view(dst), (int) n);
        return out;
      }
      long perChunk = TensorCopy.elementsPerChunk(TensorCopy.DEFAULT_CHUNK_BYTES, 4);
      for (long start = 0; start < n; start += perChunk) {
        NDIndex index = new NDIndex().addSliceDim(start, Math.min(n, start + perChunk));
        try (NDArray s = src.get(index); NDArray d = dst.get(index)) {
          TensorCopy.widen(Dtype.BF16, TensorCopy.view(s), TensorCopy.view(d));
        }
      }
    }
    return out;
  }

  /**
   * bfloat16 off the host: DJL cannot reinterpret bits on a device, and the shift below works on host views, so the
   * raw bits take a round trip through host memory (a cost per widening; the model loader widens BF16 weights once
   * at load on such a device instead of keeping them).
   */
  private static NDArray widenThroughHost(NDArray raw, NDManager into) {
    try (NDManager host = NDManager.newBaseManager(Device.cpu())) {
      NDArray rawOnHost = raw.toDevice(Device.cpu(), true);
      rawOnHost.attach(host);
      NDArray onHost = widen(Dtype.BF16, rawOnHost, host);
      NDArray out = onHost.toDevice(into.getDevice(), true);
      out.attach(into);
      return out;
    }
  }

  /** bfloat16 to float32 over disjoint blocks on the common pool: one layer's weights widen in a few milliseconds. */
  private static void widenInParallel(ByteBuffer src, ByteBuffer dst, int n) {
    int block = 1 << 16;
    IntStream.range(0, (n + block - 1) / block).parallel().forEach(b -> {
      int from = b * block;
      int to = Math.min(n, from + block);
      for (int i = from; i < to; i++) {
        dst.putInt(i * 4, (src.getShort(i * 2) & 0xFFFF) << 16);
      }
    });
  }
}
