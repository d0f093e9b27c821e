package dev.zephyr.experiments.bf16;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import dev.zephyr.core.model.MatmulBackend;
import java.util.IdentityHashMap;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * {@code x·Wᵀ + b} the way {@code torch.autocast("cpu", dtype=torch.bfloat16)} runs {@code linear}: activations,
 * weight and bias rounded to bfloat16, multiplied by bytedeco's libtorch 2.10 (float32 accumulation), the
 * bfloat16 product widened into a float32 DJL array. The float32 weights stay the master copy; their bfloat16 casts
 * are cached per weight array for the life of this object, as autocast caches them for one autocast region.
 *
 * <p>Forward only: DJL's autograd cannot see the product, so {@link #linear} refuses to run while DJL records a
 * graph instead of silently cutting the gradient.
 */
final class Bf16Matmul implements MatmulBackend, AutoCloseable {
  private static final torch.ScalarType BF16 = torch.ScalarType.BFloat16;
  private final Map<NDArray, Tensor> castWeights = new IdentityHashMap<>();

  @Override
  public NDArray linear(NDArray x, NDArray weight, NDArray bias) {
    if (JniUtils.isGradMode()) {
      throw new UnsupportedOperationException(
          "the bf16 matmul prototype has no backward in DJL's autograd; use it for forwards without a gradient");
    }
    Shape xs = x.getShape();
    long in = xs.get(xs.dimension() - 1);
    long rows = xs.size() / in;
    long out = weight.getShape().get(0);
    Tensor w = castWeights.computeIfAbsent(weight, Bf16Matmul::bf16Copy);
    Tensor b = bias == null ? null : castWeights.computeIfAbsent(bias, Bf16Matmul::bf16Copy);
    long[] dims = xs.getShape().clone();
    dims[dims.length - 1] = out;
    NDArray y = TorchBridge.empty(x.getManager(), new Shape(dims));
    try (PointerScope scope = new PointerScope()) {
      Tensor xb = TorchBridge.view(x, rows, in).to(BF16);
      Tensor product = b == null ? xb.mm(w.t()) : torch.addmm(b, xb, w.t());
      TorchBridge.view(y, rows, out).copy_(product);
    }
    return y;
  }

  /** A bfloat16 copy owned by no scope: it lives until {@link #close}. */
  private static Tensor bf16Copy(NDArray a) {
    Tensor view = TorchBridge.view(a);
    Tensor copy = view.to(BF16);
    view.close();
    return copy;
  }

  /** Frees the cached bfloat16 weights (call after the float32 weights change, or when done). */
  @Override
  public void close() {
    castWeights.values().forEach(Tensor::close);
    castWeights.clear();
  }
}
