package dev.zephyr.cli;

import dev.zephyr.data.sft.Progress;
import java.io.PrintStream;
import java.time.Duration;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarStyle;

/** A console progress bar (throughput and ETA) for {@link Progress} reports, drawn on the error stream. */
final class ConsoleProgress implements Progress {
  private final PrintStream stream;
  private ProgressBar bar;

  ConsoleProgress(PrintStream stream) {
    this.stream = stream;
  }

  @Override
  public void start(String task, long total, long alreadyDone) {
    finish();
    bar = ProgressBar.builder()
        .setTaskName(task)
        .setInitialMax(total)
        .setStyle(ProgressBarStyle.ASCII)
        .setConsumer(new ConsoleProgressBarConsumer(stream))
        .showSpeed()
        .startsFrom(alreadyDone, Duration.ZERO)
        .build();
  }

  @Override
  public void advance(long units) {
    if (bar != null) {
      bar.stepBy(units);
    }
  }

  @Override
  public void finish() {
    if (bar != null) {
      bar.close();
      bar = null;
    }
  }
}
