package dev.zephyr.core.generate;

import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import dev.zephyr.core.InvalidInputException;
import java.util.function.Supplier;

/**
 * The libtorch intra-op thread count that generation runs with. Decoding is a stream of small operations (one token
 * per row per step), where a second OpenMP thread adds a hand-off to every op and, on a busy machine, waits for a
 * core; so by default {@link Generator} decodes with one thread and restores the caller's count afterwards, leaving
 * training (which keeps every core) untouched. System property {@value #PROPERTY}: a positive count, or 0 to keep
 * whatever libtorch is set to ({@code -Dai.djl.pytorch.num_threads}).
 *
 * <p>libtorch applies the count per calling thread (OpenMP and MKL keep it thread-local), so a generator on one thread
 * does not change the threads of a trainer on another.
 */
final class DecodeThreads {
  static final String PROPERTY = "zephyr.generate.threads";
  static final int DEFAULT = 1;

  private DecodeThreads() {}

  /** The configured count: the property's value, {@link #DEFAULT} when unset, 0 for "leave libtorch alone". */
  static int configured() {
    String value = System.getProperty(PROPERTY);
    if (value == null || value.isBlank()) {
      return DEFAULT;
    }
    try {
      int n = Integer.parseInt(value.trim());
      if (n >= 0) {
        return n;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw InvalidInputException.field("system property", PROPERTY,
        "expected a thread count >= 0 (0 keeps libtorch's setting), found '" + value + "'");
  }

  /**
   * Runs {@code body} with the configured thread count when {@code manager} computes on libtorch's CPU, then restores
   * the previous count; on other engines and devices it just runs {@code body}.
   */
  static <T> T run(NDManager manager, Supplier<T> body) {
    int threads = configured();
    if (threads == 0 || manager.getDevice().isGpu() || !"PyTorch".equals(manager.getEngine().getEngineName())) {
      return body.get();
    }
    int previous = JniUtils.getNumThreads();
    if (previous == threads) {
      return body.get();
    }
    JniUtils.setNumThreads(threads);
    try {
      return body.get();
    } finally {
      JniUtils.setNumThreads(previous);
    }
  }
}
