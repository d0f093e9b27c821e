package dev.zephyr.core.progress;

import java.io.PrintStream;
import java.util.function.LongSupplier;

/**
 * A task drawn as plain lines for logs and pipes: one line when it starts, one each time the integer percent changes
 * (but at most one a second, so that a task of a few seconds does not fill a log with a hundred lines) and always
 * the line at 100%; never a carriage return.
 */
final class PlainLineTask implements Progress.Task {
  private final PrintStream out;
  private final LongSupplier nanoClock;
  private final String task;
  private final String unit;
  private final long total;
  private final long alreadyDone;
  private final long startNanos;
  private long done;
  private long tokens;
  private String status;
  /** The shortest time between two lines, except for the first and the last. */
  static final long MIN_INTERVAL_NANOS = 1_000_000_000L;

  private int printedPercent = -1;
  private long printedNanos;
  private boolean closed;

  PlainLineTask(PrintStream out, LongSupplier nanoClock, String task, String unit, long total, long alreadyDone) {
    this.out = out;
    this.nanoClock = nanoClock;
    this.task = task;
    this.unit = unit;
    this.total = total;
    this.alreadyDone = Math.max(0, alreadyDone);
    this.done = this.alreadyDone;
    this.startNanos = nanoClock.getAsLong();
    printIfNewPercent();
  }

  @Override
  public synchronized void advance(long units, long tokenCount) {
    if (closed) {
      return;
    }
    done += units;
    tokens += tokenCount;
    printIfNewPercent();
  }

  @Override
  public synchronized void status(String text) {
    status = text;
  }

  @Override
  public synchronized void close() {
    closed = true;
  }

  private void printIfNewPercent() {
    int percent = ProgressLine.percent(done, total);
    long now = nanoClock.getAsLong();
    boolean soon = printedPercent >= 0 && now - printedNanos < MIN_INTERVAL_NANOS;
    if (percent == printedPercent || (soon && percent < 100)) {
      return;
    }
    printedPercent = percent;
    printedNanos = now;
    double seconds = (now - startNanos) / 1e9;
    String line = ProgressLine.format(task, unit, done, total, done - alreadyDone, tokens, seconds, status);
    ConsoleLine.printAbove(() -> {
      out.println(line);
      out.flush();
    });
  }
}
