package dev.zephyr.cli;

import dev.zephyr.core.progress.ConsoleProgress;
import dev.zephyr.core.progress.Progress;
import dev.zephyr.data.feedback.AifConfig;
import dev.zephyr.data.feedback.AifJob;
import dev.zephyr.data.feedback.FeedbackCollector;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code zephyr aif --config FILE.yaml}: UltraFeedback-style AI feedback. Writes {@code completions.jsonl},
 * {@code ratings.jsonl} and, once every prompt is rated, {@code preferences.jsonl} into the config's
 * {@code output_dir}; calls that failed for good go to {@code failures.jsonl} and the command exits 1. Run it again
 * after a crash or a failure and it finishes the job without duplicates and without paying again for calls that had
 * completed.
 */
@Command(
    name = "aif",
    mixinStandardHelpOptions = true,
    description = "Collect AI feedback: sample completions from a pool of models, have a judge rate them, binarize"
        + " into preference pairs (ultrafeedback_binarized layout). Resumable: rerun the same command after a crash."
        + " Exits 1 unless every prompt is rated; failed calls are listed in output_dir/failures.jsonl.")
public final class AifCommand implements Callable<Integer> {

  @Option(names = "--config", required = true, paramLabel = "FILE.yaml", description = "The aif configuration.")
  Path config;

  @Option(names = "--no-progress", description = "Do not draw a progress bar (logs and CI).")
  boolean noProgress;

  @Override
  public Integer call() {
    PrintStream out = System.out;
    AifConfig cfg = AifConfig.load(config);
    AifJob job = new AifJob(cfg);
    AifJob.Result result = job.run(noProgress ? Progress.NONE : ConsoleProgress.stderr());
    FeedbackCollector.Summary s = result.summary();
    out.printf("prompts: %d (%d duplicates ignored, %d already rated before this run)%n", s.prompts(),
        s.duplicatePrompts(), s.alreadyRated());
    if (job.skippedPromptLines() > 0) {
      out.printf("malformed prompt lines skipped: %d%n", job.skippedPromptLines());
    }
    out.printf("completions: %d calls, %d failed; judgments: %d calls, %d failed, %d unparsable (raw text in"
        + " ratings.jsonl)%n", s.completionCalls(), s.completionFailures(), s.judgeCalls(), s.judgeCallFailures(),
        s.judgmentFailures());
    out.printf("cache: %d hits, %d new calls%s%n", result.cacheHits(), result.cacheMisses(),
        result.tornCacheLines() > 0 ? ", 1 torn line from an interrupted run dropped" : "");
    if (s.complete()) {
      out.printf("preferences: %d pairs, %d prompts without a pair -> %s%n", s.preferencePairs(),
          s.promptsWithoutPair(), job.outputDir().resolve("preferences.jsonl"));
    } else {
      out.println("preferences: not written until every prompt is rated");
    }
    return JobEnd.report("zephyr aif", s.counts(), s.failuresFile(), s.stopReason());
  }
}
