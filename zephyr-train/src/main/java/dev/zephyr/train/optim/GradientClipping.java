package dev.zephyr.train.optim;

import ai.djl.ndarray.NDArray;
import java.util.Collection;

/** Global-norm gradient clipping with the semantics of {@code torch.nn.utils.clip_grad_norm_} (L2 norm). */
public final class GradientClipping {
  private GradientClipping() {}

  /**
   * Scales every gradient by {@code maxNorm / (norm + 1e-6)} when that is below 1, where {@code norm} is the L2 norm of
   * all gradients taken together. Returns the norm measured before clipping (what HF logs as {@code grad_norm}).
   * {@code maxNorm <= 0} measures without clipping. A non-finite norm is returned as is and nothing is scaled, so the
   * caller can stop the run.
   */
  public static double clipGlobalNorm(Collection<NDArray> params, double maxNorm) {
    double sumSquares = 0;
    for (NDArray p : params) {
      if (p.hasGradient()) {
        sumSquares += p.getGradient().square().sum().getFloat();
      }
    }
    double norm = Math.sqrt(sumSquares);
    if (maxNorm > 0 && Double.isFinite(norm)) {
      double coef = maxNorm / (norm + 1e-6);
      if (coef < 1) {
        for (NDArray p : params) {
          if (p.hasGradient()) {
            p.getGradient().muli(coef);
          }
        }
      }
    }
    return norm;
  }
}
