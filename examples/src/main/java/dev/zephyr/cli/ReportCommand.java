package dev.zephyr.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.zephyr.core.ZephyrException;
import dev.zephyr.core.io.AtomicFiles;
import dev.zephyr.core.io.Json;
import dev.zephyr.eval.report.LmEvalTable;
import dev.zephyr.eval.report.Reports;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code zephyr report}: training-curve PNGs from a trainer's metrics JSONL, written next to it; or the Markdown
 * tables of an lm-eval results JSON.
 */
@Command(name = "report", mixinStandardHelpOptions = true,
    description = "Plot training curves (loss, learning_rate, DPO rewards) from a metrics JSONL, or print the"
        + " Markdown tables of an lm-eval results JSON (--lm-eval).")
final class ReportCommand implements Callable<Integer> {
  @Option(names = "--metrics", paramLabel = "FILE.jsonl",
      description = "metrics JSONL (one object per logging step)")
  Path metrics;

  @Option(names = "--lm-eval", paramLabel = "FILE.json",
      description = "lm-evaluation-harness results JSON (zephyr lm-eval's or lm_eval's): print its tables")
  Path lmEval;

  @Option(names = "--out", paramLabel = "FILE.md", description = "with --lm-eval: also write the tables here")
  Path out;

  @Spec
  CommandSpec spec;

  @Option(names = "--report-dir", paramLabel = "DIR",
      description = "where the PNGs go (default: next to the metrics file)")
  Path reportDir;

  @Option(names = "--width", defaultValue = "800", description = "chart width in pixels")
  int width;

  @Option(names = "--height", defaultValue = "600", description = "chart height in pixels")
  int height;

  @Override
  public Integer call() {
    if ((metrics == null) == (lmEval == null)) {
      throw CliErrors.usageError(spec, "Give exactly one of --metrics or --lm-eval");
    }
    if (lmEval != null) {
      return lmEvalTables();
    }
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

  private int lmEvalTables() {
    if (!Files.isRegularFile(lmEval)) {
      throw new ZephyrException("lm-eval results file not found: " + lmEval);
    }
    JsonNode json;
    try {
      json = Json.mapper().readTree(lmEval.toFile());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + lmEval, e);
    }
    String tables = LmEvalTable.render(json, lmEval.toString());
    System.out.print(tables);
    if (out != null) {
      AtomicFiles.writeString(out, tables);
    }
    return 0;
  }
}
