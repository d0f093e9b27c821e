package dev.zephyr.cli;

import dev.zephyr.core.job.WorkCounts;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * How a command that calls models ends: one line of done / failed / pending counts on stdout, and, unless every item
 * is done, what stopped it and where the failed calls are listed on stderr, with exit code 1.
 */
final class JobEnd {
  private JobEnd() {}

  /**
   * Prints the counts and returns the exit code: 0 when every item is done, else 1.
   *
   * @param command {@code zephyr aif}, {@code zephyr mt-bench judge}...
   * @param failures the failures file (listed when it exists), or null
   * @param stopReason why the job stopped early, or null
   */
  static int report(PrintStream out, PrintStream err, String command, List<WorkCounts> counts, Path failures,
      String stopReason) {
    for (WorkCounts c : counts) {
      out.println(c.line());
    }
    if (stopReason == null && counts.stream().allMatch(WorkCounts::complete)) {
      return 0;
    }
    if (stopReason != null) {
      err.println(command + ": stopped: " + stopReason);
    }
    for (WorkCounts c : counts) {
      if (!c.complete()) {
        err.println(command + ": not finished: " + c.failed() + " " + c.unit() + " failed, " + c.pending()
            + " pending");
      }
    }
    if (failures != null && Files.exists(failures)) {
      err.println(command + ": the calls that failed are listed in " + failures);
    }
    err.println(command + ": run the same command again to retry what is not done");
    return 1;
  }

  /** {@link #report} for a command with one kind of item. */
  static int report(String command, WorkCounts counts, Path failures, String stopReason) {
    return report(System.out, System.err, command, List.of(counts), failures, stopReason);
  }
}
