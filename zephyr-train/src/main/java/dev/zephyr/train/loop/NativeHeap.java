package dev.zephyr.train.loop;

import com.sun.jna.Function;
import com.sun.jna.NativeLibrary;
import java.util.Locale;

/**
 * The C heap that libtorch's small allocations come from. glibc keeps the pages of freed blocks inside its arenas
 * resident until asked; a training step frees many such blocks (autograd bookkeeping, small tensors, kernel scratch),
 * so without a trim they stay in the resident size through the next step's peak. {@link #trimAfter} returns them to
 * the kernel with {@code malloc_trim(0)}; elsewhere than glibc on Linux it does nothing.
 */
final class NativeHeap {
  private static final Function MALLOC_TRIM = lookup();
  /**
   * Shorter steps are not trimmed: the pages a trim returns fault back in on the next step, which tripled the
   * quickstart's millisecond dSFT steps (2100 against 6500 tokens/s); a step of a second or more (a real model, where
   * the resident size matters) pays a small share for it.
   */
  private static final long MIN_STEP_NANOS = 1_000_000_000L;

  private NativeHeap() {}

  /** Releases free C-heap pages after a step of {@code stepNanos}; true when glibc reports that memory was returned. */
  static boolean trimAfter(long stepNanos) {
    return MALLOC_TRIM != null && stepNanos >= MIN_STEP_NANOS && MALLOC_TRIM.invokeInt(new Object[] {0}) == 1;
  }

  private static Function lookup() {
    if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")) {
      return null;
    }
    try {
      return NativeLibrary.getInstance("c").getFunction("malloc_trim");
    } catch (UnsatisfiedLinkError e) {
      return null; // a C library without malloc_trim (musl): nothing to trim
    }
  }
}
