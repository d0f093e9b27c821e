package dev.zephyr.core.model;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.core.Linear;

/**
 * How the decoder multiplies activations by a weight matrix: {@code x·Wᵀ + b} for every projection and the LM head.
 * The default is DJL's float32 linear; {@link #BF16} multiplies in bfloat16 as {@code torch.autocast} does. Both are
 * recorded by autograd. Another implementation may compute elsewhere and hand back a float32 array; unless it says
 * otherwise it has no backward, so use it only for forwards without a gradient.
 */
@FunctionalInterface
public interface MatmulBackend {
  /** DJL's {@code Linear.linear} in float32. */
  MatmulBackend DJL = (x, weight, bias) ->
      (bias == null ? Linear.linear(x, weight) : Linear.linear(x, weight, bias)).singletonOrThrow();

  /**
   * Autocast-style bfloat16: activations and weight rounded to bfloat16, products accumulated in float32 by
   * libtorch's bfloat16 matmul (the CPU's BF16 dot-product instructions where it has them), result float32 (the bias
   * is added in float32). Weights,
   * gradients and everything outside the projections stay float32 ({@link TorchKernels}).
   */
  MatmulBackend BF16 = (x, weight, bias) -> TorchKernels.get().linearBf16(x, weight, bias);

  /**
   * {@code x·weightᵀ + bias}: {@code x} {@code [..., in]}, {@code weight} {@code [out, in]}, {@code bias}
   * {@code [out]} or null; a float32 array {@code [..., out]} attached to {@code x}'s manager.
   */
  NDArray linear(NDArray x, NDArray weight, NDArray bias);
}
