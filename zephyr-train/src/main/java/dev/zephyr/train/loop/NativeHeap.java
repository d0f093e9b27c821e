package dev.zephyr.train.loop;

import com.sun.jna.Function;
import com.sun.jna.NativeLibrary;
import java.util.Locale;

/**
 * The C heap that libtorch's small allocations come from. glibc keeps the pages of freed blocks inside its arenas
 * resident until asked; a training step frees many such blocks (autograd bookkeeping, small tensors, kernel scratch),
 * so without a trim they stay in the resident size through the next step's peak. {@link #trim()} returns them to
 * the kernel with {@code malloc_trim(0)}; elsewhere than glibc on Linux it does nothing.
 */
final class NativeHeap {
  private static final Function MALLOC_TRIM = lookup();
  /** A trim may take at most this share of the time between trims (it walks the whole heap: up to ~0.4 s). */
  private static final long TIME_SHARE = 10;
  private static long lastEnd;
  private static long lastCost;

  private NativeHeap() {}

  /**
   * Releases free C-heap pages; true when glibc reports that memory was returned. Skipped (false) until
   * {@value #TIME_SHARE} times the last trim's cost has passed since it: big steps (seconds, where the resident size
   * matters) trim after every step, while a tiny model's millisecond steps are not slowed several-fold.
   */
  static synchronized boolean trim() {
    long now = System.nanoTime();
    if (MALLOC_TRIM == null || (lastEnd != 0 && now - lastEnd < TIME_SHARE * lastCost)) {
      return false;
    }
    boolean released = MALLOC_TRIM.invokeInt(new Object[] {0}) == 1;
    lastEnd = System.nanoTime();
    lastCost = lastEnd - now;
    return released;
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
