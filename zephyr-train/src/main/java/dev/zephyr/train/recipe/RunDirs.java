package dev.zephyr.train.recipe;

import java.nio.file.Path;

/**
 * Where a recipe run keeps its work. {@code output_dir} is the finished model a user loads, nothing else; the
 * trainer's checkpoints, {@code metrics.jsonl} and the DPO reference cache go to {@code run_dir}, by default the
 * sibling {@code <output_dir>-run}. A sibling rather than a subdirectory because the model directory is replaced
 * wholesale when training ends, and rather than a fixed shared place because two runs must never share checkpoints.
 */
public final class RunDirs {
  private RunDirs() {}

  /** The default {@code run_dir} of {@code outputDir}: {@code data/zephyr-sft} gives {@code data/zephyr-sft-run}. */
  public static Path besides(Path outputDir) {
    Path p = outputDir.normalize();
    if (p.getFileName() == null || p.getFileName().toString().isEmpty() || p.getFileName().toString().equals("..")) {
      p = outputDir.toAbsolutePath().normalize(); // "." or ".." name no directory of their own
    }
    if (p.getFileName() == null) {
      throw new IllegalArgumentException("output_dir cannot be the file system root: " + outputDir);
    }
    return p.resolveSibling(p.getFileName() + "-run");
  }

  /**
   * Checks that {@code runDir} survives the model being written: it must be neither {@code outputDir} nor inside it.
   *
   * @throws IllegalArgumentException naming both directories
   */
  public static void check(Path outputDir, Path runDir) {
    Path out = outputDir.toAbsolutePath().normalize();
    Path run = runDir.toAbsolutePath().normalize();
    if (run.startsWith(out)) {
      throw new IllegalArgumentException("run_dir " + runDir + " is output_dir " + outputDir + " or inside it;"
          + " output_dir is replaced by the trained model at the end, so checkpoints must live elsewhere"
          + " (default: " + besides(outputDir) + ")");
    }
  }
}
