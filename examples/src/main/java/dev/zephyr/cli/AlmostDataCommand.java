package dev.zephyr.cli;

import dev.zephyr.core.progress.ConsoleProgress;
import dev.zephyr.core.progress.Progress;
import dev.zephyr.data.almost.SyntheticFeedbackJob;
import dev.zephyr.train.recipe.AlmostDataConfig;
import dev.zephyr.train.recipe.AlmostDataRun;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code zephyr almost-data --config FILE.yaml}: ALMoST synthetic comparisons ({@link AlmostDataConfig}). */
@Command(name = "almost-data", mixinStandardHelpOptions = true,
    description = "ALMoST synthetic comparisons: generators ranked best to worst answer every query, ranked pairs"
        + " pass the heuristic length filter (and an optional reward-model agreement filter) into"
        + " comparisons.jsonl (prompt/chosen/rejected, what zephyr rm reads), with the counts in report.json. A"
        + " rerun resumes: only queries without every response are asked again.")
public final class AlmostDataCommand implements Callable<Integer> {
  @Option(names = "--config", required = true, paramLabel = "FILE.yaml",
      description = "YAML with prompts, output_dir, demonstrations, ranking (listed or rule_of_thumb), batch_size,"
          + " seed, generators (each a provider: base_url + model or local, with name, shots, demonstrations,"
          + " prompt_quality, model_size_b, temperature, top_p, max_tokens) and an optional agreement"
          + " {reward_model_path, margin, batch_size, max_length}")
  Path config;

  @Option(names = "--no-progress", description = "Do not draw a progress bar (logs and CI).")
  boolean noProgress;

  @Override
  public Integer call() throws Exception {
    AlmostDataConfig c = AlmostDataConfig.load(config);
    SyntheticFeedbackJob.Result r = AlmostDataRun.run(c, noProgress ? Progress.NONE : ConsoleProgress.stderr());
    int code = JobEnd.report("zephyr almost-data", r.counts(), r.failuresFile(), r.stopReason());
    if (r.heuristic() == null) {
      return code;
    }
    System.err.printf("almost-data done: %d comparisons from %d prompts (%d dropped by length, %d identical, %d"
        + " missing responses, %d disagreed with the reward model); %s%n", r.written(), r.prompts(),
        r.heuristic().droppedByLength(), r.heuristic().droppedIdentical(), r.heuristic().missingResponses(),
        r.disagreed(), c.outputDir().resolve("comparisons.jsonl"));
    return code;
  }
}
