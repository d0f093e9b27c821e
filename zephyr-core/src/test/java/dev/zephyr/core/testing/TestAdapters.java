package dev.zephyr.core.testing;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.zephyr.core.model.lora.LoraAdapter;
import java.util.Map;
import java.util.SplittableRandom;

/** Test adapters that change what a model computes. */
public final class TestAdapters {
  private TestAdapters() {}

  /**
   * Adds uniform noise in [-amplitude/2, amplitude/2) to every B factor of {@code lora}: PEFT starts B at zero, and
   * such an adapter would change nothing.
   */
  public static void randomizeB(LoraAdapter lora, long seed, double amplitude, NDManager m) {
    SplittableRandom rng = new SplittableRandom(seed);
    for (Map.Entry<String, NDArray> e : lora.parameters().entrySet()) {
      if (e.getKey().endsWith(LoraAdapter.B)) {
        float[] noise = new float[Math.toIntExact(e.getValue().size())];
        for (int i = 0; i < noise.length; i++) {
          noise[i] = (float) ((rng.nextDouble() - 0.5) * amplitude);
        }
        e.getValue().addi(m.create(noise, e.getValue().getShape()));
      }
    }
  }
}
