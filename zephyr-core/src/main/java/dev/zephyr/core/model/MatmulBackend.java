package dev.zephyr.core.model;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.core.Linear;

/**
 * How the decoder multiplies activations by a weight matrix: {@code x·Wᵀ + b} for every projection and the LM head.
 * The default is DJL's float32 linear, which autograd records. Another implementation (the BF16 prototype in
 * {@code experiments/bf16-probe}) may compute elsewhere and hand back a float32 array; unless it says otherwise it
 * has no backward, so use it only for forwards without a gradient.
 */
@FunctionalInterface
public interface MatmulBackend {
  /** DJL's {@code Linear.linear} in float32. */
  MatmulBackend DJL = (x, weight, bias) ->
      (bias == null ? Linear.linear(x, weight) : Linear.linear(x, weight, bias)).singletonOrThrow();

  /**
   * {@code x·weightᵀ + bias}: {@code x} {@code [..., in]}, {@code weight} {@code [out, in]}, {@code bias}
   * {@code [out]} or null; a float32 array {@code [..., out]} attached to {@code x}'s manager.
   */
  NDArray linear(NDArray x, NDArray weight, NDArray bias);
}
