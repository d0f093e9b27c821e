package dev.zephyr.train.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import java.util.Collection;

/**
 * Global-norm gradient clipping with the semantics of {@code torch.nn.utils.clip_grad_norm_} (L2 norm), without
 * copies: each gradient's sum of squares is reduced to a scalar inside its own scope (a large gradient in row slices),
 * and the scaling is done in place.
 */
public final class GradientClipping {
  private GradientClipping() {}

  /**
   * Scales every gradient by {@code maxNorm / (norm + 1e-6)} when that is below 1, where {@code norm} is the L2 norm of
   * all gradients taken together. Returns the norm measured before clipping (what HF logs as {@code grad_norm}).
   * {@code maxNorm <= 0} measures without clipping. A non-finite norm is returned as is and nothing is scaled, so the
   * caller can stop the run.
   */
  public static double clipGlobalNorm(Collection<NDArray> params, double maxNorm) {
    return clipGlobalNorm(params, maxNorm, Slices.DEFAULT_ELEMENTS);
  }

  /** As {@link #clipGlobalNorm(Collection, double)}, reducing a gradient in pieces of at most {@code sliceElements}. */
  static double clipGlobalNorm(Collection<NDArray> params, double maxNorm, long sliceElements) {
    double[] sumSquares = {0};
    for (NDArray p : params) {
      if (p.hasGradient()) {
        try (NDScope scope = new NDScope()) {
          scope.suppressNotUsedWarning();
          // float32 sums per piece, as before slicing; the pieces add up in double
          Slices.forEach(sliceElements, new NDArray[] {p.getGradient()},
              g -> sumSquares[0] += g[0].square().sum().getFloat());
        }
      }
    }
    double norm = Math.sqrt(sumSquares[0]);
    if (maxNorm > 0 && Double.isFinite(norm)) {
      double coef = maxNorm / (norm + 1e-6);
      if (coef < 1) {
        for (NDArray p : params) {
          if (p.hasGradient()) {
            try (NDScope scope = new NDScope()) {
              scope.suppressNotUsedWarning();
              p.getGradient().muli(coef);
            }
          }
        }
      }
    }
    return norm;
  }
}
