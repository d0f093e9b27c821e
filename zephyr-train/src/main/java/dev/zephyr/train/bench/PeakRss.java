package dev.zephyr.train.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** The process's peak resident set size, from Linux's {@code /proc/self/status}. */
public final class PeakRss {
  private static final Path STATUS = Path.of("/proc/self/status");
  private static final Path CLEAR_REFS = Path.of("/proc/self/clear_refs");

  private PeakRss() {}

  /** {@code VmHWM} in kB, or -1 where the file or the line is missing (not Linux). */
  public static long kilobytes() {
    return statusKb("VmHWM:");
  }

  /** The current resident size, {@code VmRSS}, in kB; -1 where it cannot be read. */
  public static long residentKb() {
    return statusKb("VmRSS:");
  }

  private static long statusKb(String key) {
    try {
      return valueKb(Files.readAllLines(STATUS), key);
    } catch (IOException e) {
      return -1;
    }
  }

  /** The value of line {@code key} (such as {@code VmHWM:}) of a status file's lines, in kB; -1 when absent. */
  static long valueKb(List<String> statusLines, String key) {
    for (String line : statusLines) {
      if (line.startsWith(key)) {
        return Long.parseLong(line.substring(key.length()).replace("kB", "").trim());
      }
    }
    return -1;
  }

  /**
   * Sets the peak back to the current resident size (writing 5 to {@code /proc/self/clear_refs}), so a later
   * {@link #kilobytes()} covers only what follows; false where the kernel does not allow it.
   */
  public static boolean reset() {
    try {
      Files.writeString(CLEAR_REFS, "5");
      return true;
    } catch (IOException | UnsupportedOperationException e) {
      return false;
    }
  }

  /**
   * Lets the setup's garbage go (the random models' fill buffers, freed by the cleaner thread some time after a
   * collection) until the resident size stops falling, at most 10 s, then starts the peak over: returns the peak so
   * far (kB), or -1 when it cannot be reset, in which case the training peak includes the setup.
   */
  public static long settleAndReset() {
    long resident = PeakRss.residentKb();
    for (int i = 0; i < 40; i++) {
      System.gc();
      try {
        Thread.sleep(250);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
      long now = PeakRss.residentKb();
      if (now > resident - resident / 100) {
        break;
      }
      resident = now;
    }
    long before = PeakRss.kilobytes();
    return PeakRss.reset() ? before : -1;
  }
}
