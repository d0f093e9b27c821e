package dev.zephyr.cli;

import dev.zephyr.core.ZephyrException;
import dev.zephyr.eval.report.Reports;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code zephyr report}: training-curve PNGs from a trainer's metrics JSONL, written next to it. */
@Command(name = "report", mixinStandardHelpOptions = true,
    description = "Plot training curves (loss, learning_rate, DPO rewards) from a metrics JSONL.")
final class ReportCommand implements Callable<Integer> {
  @Option(names = "--metrics", required = true, paramLabel = "FILE.jsonl",
      description = "metrics JSONL (one object per logging step)")
  Path metrics;

  @Option(names = "--report-dir", paramLabel = "DIR",
      description = "where the PNGs go (default: next to the metrics file)")
  Path reportDir;

  @Option(names = "--width", defaultValue = "800", description = "chart width in pixels")
  int width;

  @Option(names = "--height", defaultValue = "600", description = "chart height in pixels")
  int height;

  @Override
  public Integer call() {
    if (!Files.isRegularFile(metrics)) {
      throw new ZephyrException("metrics file not found: " + metrics);
    }
    Path dir = reportDir != null ? reportDir : metrics.toAbsolutePath().getParent();
    List<Path> written = Reports.trainingReport(metrics, dir, width, height);
    if (written.isEmpty()) {
      throw new ZephyrException("no loss, learning_rate or rewards/* metrics in " + metrics);
    }
    written.forEach(p -> System.out.println("wrote " + p));
    return 0;
  }
}
