package dev.zephyr.train.loop;

import ai.djl.ndarray.NDArray;
import java.util.function.BinaryOperator;

/**
 * Float32 tensor-and-number arithmetic that is safe inside an autograd graph; use it instead of {@code NDArray.mul(Number)},
 * {@code div(Number)}, {@code minimum(Number)} and {@code maximum(Number)} on anything a loss is built from.
 *
 * <p>DJL's PyTorch engine turns the number into a tensor that borrows a direct {@code ByteBuffer} and closes that
 * tensor right after the op. Autograd keeps the operand of these four ops for backward, so backward later reads the
 * buffer's memory; once a garbage collection between forward and backward frees the buffer, that memory is reused and
 * the gradient is garbage (Inf or silently wrong, measured in {@code GcBetweenForwardAndBackwardTest}). Here the
 * number is copied into a tensor that libtorch owns, which autograd keeps alive by reference counting. Addition and
 * subtraction keep no operand and need no care.
 */
public final class Scalars {
  private Scalars() {}

  /** {@code x * v}. */
  public static NDArray mul(NDArray x, double v) {
    return apply(x, v, NDArray::mul);
  }

  /** {@code x / v}. */
  public static NDArray div(NDArray x, double v) {
    return apply(x, v, NDArray::div);
  }

  /** Element-wise {@code min(x, v)}. */
  public static NDArray minimum(NDArray x, double v) {
    return apply(x, v, NDArray::minimum);
  }

  /** Element-wise {@code max(x, v)}. */
  public static NDArray maximum(NDArray x, double v) {
    return apply(x, v, NDArray::maximum);
  }

  private static NDArray apply(NDArray x, double v, BinaryOperator<NDArray> op) {
    try (NDArray borrowed = x.getManager().create((float) v); NDArray owned = borrowed.duplicate()) {
      return op.apply(x, owned);
    }
  }
}
