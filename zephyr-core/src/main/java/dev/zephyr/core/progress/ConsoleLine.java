package dev.zephyr.core.progress;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * The console's last line, which a progress bar redraws in place. Anything else written to the console while a bar
 * is drawn (a log line, a message) goes through {@link #printAbove}, so that it lands on its own line and the bar
 * continues below it instead of being split.
 *
 * <p>This state is process-wide on purpose: there is one console, and the logging appender that needs it is created
 * by the logging framework, not by the code that draws the bar.
 */
public final class ConsoleLine {
  private static final Object LOCK = new Object();
  /** Bars being drawn, innermost last; only the innermost draws. */
  private static final Deque<BarLine> BARS = new ArrayDeque<>();

  private ConsoleLine() {}

  /**
   * Runs {@code print}, which writes whole lines to the console, with the bar line erased before and redrawn after;
   * with no bar drawn it only keeps {@code print} from interleaving with a progress line.
   */
  public static void printAbove(Runnable print) {
    synchronized (LOCK) {
      BarLine bar = BARS.peekLast();
      if (bar != null) {
        bar.erase();
      }
      try {
        print.run();
      } finally {
        if (bar != null) {
          bar.redraw();
        }
      }
    }
  }

  /** Whether a bar is drawn now. */
  public static boolean barActive() {
    synchronized (LOCK) {
      return !BARS.isEmpty();
    }
  }

  static Object lock() {
    return LOCK;
  }

  static void push(BarLine bar) {
    synchronized (LOCK) {
      BARS.addLast(bar);
    }
  }

  static void remove(BarLine bar) {
    synchronized (LOCK) {
      BARS.remove(bar);
    }
  }

  static boolean isInnermost(BarLine bar) {
    synchronized (LOCK) {
      return BARS.peekLast() == bar;
    }
  }
}
