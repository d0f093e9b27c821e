package dev.zephyr.core.progress;

import java.io.PrintStream;
import java.time.Duration;
import java.util.function.LongSupplier;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarRenderer;
import me.tongfei.progressbar.ProgressState;

/**
 * A task drawn on a terminal with progressbar, which keeps the state and redraws it twice a second on its own thread.
 * The line is the plain line with a bar after the percent ({@code train  37% [====>     ] 148/400 steps 2.10
 * steps/s ETA 02:00}); the bar takes the width the text leaves and is dropped on a very narrow terminal.
 */
final class BarTask implements Progress.Task {
  private static final int MIN_BAR = 10;

  private final ProgressBar bar;
  private final String unit;
  private final LongSupplier nanoClock;
  private final long startNanos;
  private volatile long tokens;
  private volatile String status;

  BarTask(PrintStream out, int width, LongSupplier nanoClock, String task, String unit, long total,
      long alreadyDone) {
    this.unit = unit;
    this.nanoClock = nanoClock;
    this.startNanos = nanoClock.getAsLong();
    BarLine line = new BarLine(out, width);
    ConsoleLine.push(line);
    this.bar = new ProgressBarBuilder()
        .setTaskName(task)
        .setInitialMax(total)
        .setRenderer(new Renderer())
        .setUpdateIntervalMillis(500)
        // redraw on every tick, not only when the count moved: elapsed time, ETA and status change between steps
        .continuousUpdate()
        .setConsumer(line)
        // resumed work counts as done but not toward the rate and ETA
        .startsFrom(Math.max(0, alreadyDone), Duration.ZERO)
        .build();
  }

  @Override
  public synchronized void advance(long units, long tokenCount) {
    tokens += tokenCount;
    bar.stepBy(units);
  }

  @Override
  public void status(String text) {
    status = text;
  }

  @Override
  public synchronized void close() {
    bar.close();
  }

  /** Renders the state with {@link ProgressLine}'s text around an ASCII bar. */
  private final class Renderer implements ProgressBarRenderer {
    @Override
    public String render(ProgressState state, int maxLength) {
      long done = state.getCurrent();
      long total = state.getMax();
      double seconds = (nanoClock.getAsLong() - startNanos) / 1e9;
      String head = ProgressLine.head(state.getTaskName(), done, total);
      String tail = ProgressLine.tail(unit, done, total, done - state.getStart(), tokens, seconds, status);
      int room = maxLength - head.length() - tail.length() - 4;
      if (room < MIN_BAR) {
        return head + " " + tail;
      }
      int filled = (int) Math.min(room, room * Math.min(1.0, (double) done / total));
      String fill = "=".repeat(filled) + (filled < room ? ">" + " ".repeat(room - filled - 1) : "");
      return head + " [" + fill + "] " + tail;
    }
  }
}
