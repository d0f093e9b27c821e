package dev.zephyr.experiments.bf16;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import java.nio.ByteBuffer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;

/**
 * Moves float32 data between DJL's libtorch (2.7.1) and bytedeco's (2.10) by sharing host memory: only data
 * pointers cross, never a tensor object, since the two builds' C++ types are unrelated.
 */
final class TorchBridge {
  private TorchBridge() {}

  /**
   * A bytedeco float32 tensor over the memory of CPU array {@code a} (made contiguous first when it is a strided
   * view). The view does not own the memory: {@code a} must outlive it.
   */
  static Tensor view(NDArray a) {
    return view(a, a.getShape().getShape());
  }

  /** Like {@link #view(NDArray)}, seen with {@code shape} (same element count), e.g. {@code [rows, columns]}. */
  static Tensor view(NDArray a, long... shape) {
    if (a.getDataType() != DataType.FLOAT32) {
      throw new IllegalArgumentException("expected a float32 array, got " + a.getDataType());
    }
    ByteBuffer shared = ((PtNDArray) a).toByteBuffer(true);
    if (!shared.isDirect()) {
      throw new IllegalStateException("DJL returned a heap copy, not a view of the native array");
    }
    return torch.from_blob(new Pointer(shared), shape,
        new TensorOptions(torch.ScalarType.Float));
  }

  /** An uninitialised float32 DJL array of {@code shape} on {@code m}, to be written through {@link #view}. */
  static NDArray empty(NDManager m, Shape shape) {
    return m.create(shape, DataType.FLOAT32);
  }

  /**
   * A DJL float32 array holding a copy of bytedeco tensor {@code t} (any float dtype): the only way back that
   * leaves DJL owning its memory.
   */
  static NDArray copyToDjl(Tensor t, NDManager m) {
    Tensor f = t.scalar_type() == torch.ScalarType.Float ? t.contiguous() : t.to(torch.ScalarType.Float).contiguous();
    long[] dims = new long[(int) f.dim()];
    for (int i = 0; i < dims.length; i++) {
      dims[i] = f.size(i);
    }
    NDArray out = empty(m, new Shape(dims));
    view(out).copy_(f);
    return out;
  }
}
