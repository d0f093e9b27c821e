package dev.zephyr.core.progress;

import java.util.Locale;

/** The text of one plain progress line: {@code train  37% 148/400 steps 2.10 steps/s ETA 02:00 loss 0.43}. */
final class ProgressLine {
  private ProgressLine() {}

  /**
   * @param doneThisRun units finished since the task started (the rate's numerator; resumed work excluded)
   * @param tokensThisRun tokens processed since the task started (no token rate when 0)
   * @param seconds time since the task started
   * @param status trailing text, or null
   */
  static String format(String task, String unit, long done, long total, long doneThisRun, long tokensThisRun,
      double seconds, String status) {
    return head(task, done, total) + " " + tail(unit, done, total, doneThisRun, tokensThisRun, seconds, status);
  }

  /** The task name and percent, {@code train  37%}; a bar goes between this and the {@link #tail}. */
  static String head(String task, long done, long total) {
    return task + String.format(Locale.ROOT, " %3d%%", percent(done, total));
  }

  /** Count, rates, ETA (elapsed time once done) and status: {@code 148/400 steps 2.10 steps/s ETA 02:00}. */
  static String tail(String unit, long done, long total, long doneThisRun, long tokensThisRun, double seconds,
      String status) {
    StringBuilder sb = new StringBuilder().append(done).append('/').append(total).append(' ').append(unit);
    boolean measured = doneThisRun > 0 && seconds > 0;
    if (measured) {
      sb.append(' ').append(rate(doneThisRun / seconds)).append(' ').append(unit).append("/s");
    }
    if (tokensThisRun > 0 && seconds > 0) {
      sb.append(' ').append(count(tokensThisRun / seconds)).append(" tok/s");
    }
    if (done >= total) {
      sb.append(" in ").append(duration(seconds));
    } else if (measured) {
      sb.append(" ETA ").append(duration((total - done) / (doneThisRun / seconds)));
    }
    if (status != null && !status.isEmpty()) {
      sb.append(' ').append(status);
    }
    return sb.toString();
  }

  /** The integer percent, floored, at most 100 (retried calls can push a count past its planned total). */
  static int percent(long done, long total) {
    if (total <= 0 || done >= total) {
      return 100;
    }
    if (done <= 0) {
      return 0;
    }
    return done <= Long.MAX_VALUE / 100 ? (int) (done * 100 / total) : (int) (done / (total / 100.0));
  }

  /** Three significant digits for small rates, none for large ones. */
  static String rate(double perSecond) {
    if (perSecond >= 100) {
      return String.format(Locale.ROOT, "%.0f", perSecond);
    }
    if (perSecond >= 10) {
      return String.format(Locale.ROOT, "%.1f", perSecond);
    }
    if (perSecond >= 0.1) {
      return String.format(Locale.ROOT, "%.2f", perSecond);
    }
    return String.format(Locale.ROOT, "%.3f", perSecond);
  }

  /** A large per-second count: {@code 950}, {@code 5.3k}, {@code 1.2M}. */
  static String count(double perSecond) {
    if (perSecond >= 1e6) {
      return String.format(Locale.ROOT, "%.1fM", perSecond / 1e6);
    }
    if (perSecond >= 1e3) {
      return String.format(Locale.ROOT, "%.1fk", perSecond / 1e3);
    }
    return String.format(Locale.ROOT, "%.0f", perSecond);
  }

  /** {@code mm:ss}, or {@code h:mm:ss} from one hour on. */
  static String duration(double seconds) {
    long s = Math.round(seconds);
    if (s >= 3600) {
      return String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60);
    }
    return String.format(Locale.ROOT, "%02d:%02d", s / 60, s % 60);
  }
}
