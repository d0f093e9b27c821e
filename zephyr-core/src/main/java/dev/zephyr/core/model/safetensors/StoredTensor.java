package dev.zephyr.core.model.safetensors;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/**
 * A tensor as {@link Safetensors#loadKeeping16Bit} returns it: 16-bit floats keep their 2 bytes per element.
 *
 * @param storedAs the dtype in the file
 * @param array    for {@link Dtype#F16} and {@link Dtype#BF16}: the file's 16 bits per element in a FLOAT16-typed
 *                 array (DJL's PyTorch engine cannot hold BF16, so bfloat16 bits travel in a FLOAT16 array and must
 *                 only be copied, indexed or widened with {@link #widen}, never computed on); for other dtypes the
 *                 array as {@link Safetensors#load} gives it
 */
public record StoredTensor(Dtype storedAs, NDArray array) {
  /** True when {@link #array} holds raw 16-bit data rather than values DJL can compute with. */
  public boolean isRaw16() {
    return storedAs == Dtype.BF16 || storedAs == Dtype.F16;
  }

  /**
   * Widens raw 16-bit data to a new float32 array in {@code raw}'s manager (the raw array may be a row selection of
   * a stored tensor); float32 data is returned as a new handle to the same values.
   */
  public static NDArray widen(Dtype storedAs, NDArray raw) {
    if (storedAs == Dtype.F16) {
      return raw.toType(DataType.FLOAT32, false); // PyTorch's f16 -> f32 conversion is exact
    }
    if (storedAs != Dtype.BF16) {
      return raw.toType(raw.getDataType(), true);
    }
    NDArray out = raw.getManager().create(raw.getShape(), DataType.FLOAT32);
    try (NDArray src = raw.reshape(-1); NDArray dst = out.reshape(-1)) {
      long n = src.size();
      long perChunk = TensorCopy.elementsPerChunk(TensorCopy.DEFAULT_CHUNK_BYTES, 4);
      for (long start = 0; start < n; start += perChunk) {
        long end = Math.min(n, start + perChunk);
        var index = new ai.djl.ndarray.index.NDIndex().addSliceDim(start, end);
        try (NDArray s = src.get(index); NDArray d = dst.get(index)) {
          TensorCopy.widen(Dtype.BF16, TensorCopy.view(s), TensorCopy.view(d));
        }
      }
    }
    return out;
  }
}
