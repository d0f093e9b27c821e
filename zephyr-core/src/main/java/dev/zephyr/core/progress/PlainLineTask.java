package dev.zephyr.core.progress;

import java.io.PrintStream;
import java.util.function.LongSupplier;

/**
 * A task drawn as plain lines for logs and pipes: one line when it starts and one each time the integer percent
 * changes, never a carriage return.
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
  private int printedPercent = -1;
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
    if (percent == printedPercent) {
      return;
    }
    printedPercent = percent;
    double seconds = (nanoClock.getAsLong() - startNanos) / 1e9;
    String line = ProgressLine.format(task, unit, done, total, done - alreadyDone, tokens, seconds, status);
    ConsoleLine.printAbove(() -> {
      out.println(line);
      out.flush();
    });
  }
}
