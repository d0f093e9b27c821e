package dev.zephyr.train.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/** The peak FLOP/s that MFU divides by: a float32 matrix product measured in this process. */
public final class GemmPeak {
  private GemmPeak() {}

  /**
   * GFLOP/s of a 1024 x 1024 by 1024 x 1024 float32 matmul ({@code 2·1024³} FLOPs), one warm-up and 20 timed
   * repetitions, as {@code torch_reference.py} measures its peak; each product is waited for (one element read) so
   * that an asynchronous engine is timed doing the work, not queueing it.
   */
  public static double gflops(NDManager manager) {
    int n = 1024;
    int reps = 20;
    try (NDManager m = manager.newSubManager()) {
      NDArray a = m.randomNormal(new Shape(n, n));
      NDArray b = m.randomNormal(new Shape(n, n));
      a.matMul(b).close();
      long start = System.nanoTime();
      for (int i = 0; i < reps; i++) {
        try (NDArray c = a.matMul(b)) {
          c.getFloat(0, 0);
        }
      }
      double s = (System.nanoTime() - start) / 1e9;
      return 2.0 * n * n * n * reps / s / 1e9;
    }
  }
}
