package dev.zephyr.data.almost;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.zephyr.core.io.Jsonl;
import dev.zephyr.core.io.JsonlAppender;
import dev.zephyr.core.job.FailureLog;
import dev.zephyr.core.job.WorkCounts;
import dev.zephyr.core.progress.Progress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * ALMoST steps 1b and 1c as one resumable job: every generator answers every prompt (appended per batch to
 * {@code responses.jsonl}, so a rerun only asks for prompts not yet answered), then the synthetic comparisons are
 * built with the heuristic filter, optionally checked by a reward model, and written atomically to
 * {@code comparisons.jsonl} in the {@code ultrafeedback_binarized} layout. A prompt one of whose calls fails for good
 * is listed in {@code failures.jsonl} and not written, so the next run asks again; {@code comparisons.jsonl} is
 * written only when every prompt has all its responses.
 */
public final class SyntheticFeedbackJob {
  private final PromptedResponseGenerator generator;
  private final ConfigRanking ranking;
  private final AgreementFilter agreement;
  private final int batchSize;
  private Progress progress = Progress.NONE;

  /**
   * @param agreement the optional reward-model agreement filter, or null
   */
  public SyntheticFeedbackJob(PromptedResponseGenerator generator, ConfigRanking ranking, AgreementFilter agreement,
      int batchSize) {
    if (batchSize < 1) {
      throw new IllegalArgumentException("batch size must be >= 1");
    }
    this.generator = generator;
    this.ranking = ranking;
    this.agreement = agreement;
    this.batchSize = batchSize;
  }

  /** Reports prompts answered by every generator (task {@code respond}). */
  public SyntheticFeedbackJob progress(Progress sink) {
    this.progress = java.util.Objects.requireNonNull(sink, "progress");
    return this;
  }

  /** One prompt and every configuration's finished response (or BAD). */
  public record Responses(@JsonProperty("prompt") String prompt,
      @JsonProperty("responses") LinkedHashMap<String, String> responses) {}

  /**
   * What the job wrote.
   *
   * @param prompts prompts with every response in {@code responses.jsonl}
   * @param heuristic the filter's statistics, or null when comparisons were not built (the run was not complete)
   * @param counts prompts done, failed (a call failed in this run) and pending (not reached: a provider stopped)
   * @param stopReason why the run stopped early, or null
   * @param failuresFile where this run's failed calls are listed (it exists only when some failed)
   */
  public record Result(int prompts, int answeredNow, HeuristicFilter.Stats heuristic, int disagreed, int written,
      WorkCounts counts, String stopReason, Path failuresFile) {}

  public Result run(List<String> prompts, Path outputDir) {
    Path responsesFile = outputDir.resolve("responses.jsonl");
    Set<String> done = new HashSet<>();
    for (Responses r : JsonlAppender.readComplete(responsesFile, Responses.class)) {
      done.add(r.prompt());
    }
    List<String> distinct = prompts.stream().distinct().toList();
    List<String> todo = distinct.stream().filter(p -> !done.contains(p)).toList();
    int answeredNow = 0;
    Set<String> failed = new HashSet<>();
    FailureLog failures = FailureLog.inDirectory(outputDir);
    try (failures;
        JsonlAppender out = JsonlAppender.open(responsesFile);
        Progress.Task task = progress.start("respond", "prompts", distinct.size(), distinct.size() - todo.size())) {
      for (int s = 0; s < todo.size() && !failures.stopped(); s += batchSize) {
        List<String> part = todo.subList(s, Math.min(todo.size(), s + batchSize));
        List<Map<String, String>> answers = generator.respond(part, failures);
        List<Responses> rows = new ArrayList<>();
        for (int k = 0; k < part.size(); k++) {
          if (answers.get(k) != null) {
            rows.add(new Responses(part.get(k), new LinkedHashMap<>(answers.get(k))));
          }
        }
        for (int k = 0; k < part.size(); k++) {
          // a prompt without all its responses failed, unless its calls were never sent (pending)
          if (answers.get(k) == null && failures.failed(part.get(k))) {
            failed.add(part.get(k));
          }
        }
        out.appendAll(rows);
        answeredNow += rows.size();
        task.advance(part.size());
      }
    }
    WorkCounts counts = WorkCounts.of("prompts", distinct.size(), distinct.size() - todo.size() + answeredNow,
        failed.size());
    if (!counts.complete()) {
      return new Result(distinct.size() - (int) (counts.failed() + counts.pending()), answeredNow, null, 0, 0, counts,
          failures.stopReason(), failures.file());
    }
    Map<String, Map<String, String>> byPrompt = new LinkedHashMap<>();
    for (Responses r : JsonlAppender.readComplete(responsesFile, Responses.class)) {
      byPrompt.put(r.prompt(), r.responses());
    }
    HeuristicFilter filter = new HeuristicFilter(ranking);
    List<SyntheticComparison> pairs = new ArrayList<>();
    for (String p : prompts.stream().distinct().toList()) {
      pairs.addAll(filter.compare(p, byPrompt.get(p)));
    }
    int disagreed = 0;
    if (agreement != null) {
      AgreementFilter.Result r = agreement.filter(pairs);
      pairs = r.kept();
      disagreed = r.disagreed();
    }
    Jsonl.writeAll(outputDir.resolve("comparisons.jsonl"), pairs);
    return new Result(byPrompt.size(), answeredNow, filter.stats(), disagreed, pairs.size(), counts, null,
        failures.file());
  }
}
