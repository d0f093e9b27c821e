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

  private NativeHeap() {}

  /** Releases free C-heap pages; true when glibc reports that memory was returned. */
  static boolean trim() {
    return MALLOC_TRIM != null && MALLOC_TRIM.invokeInt(new Object[] {0}) == 1;
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
