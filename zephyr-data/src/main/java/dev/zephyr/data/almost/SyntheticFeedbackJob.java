package dev.zephyr.data.almost;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.zephyr.core.io.Jsonl;
import dev.zephyr.core.io.JsonlAppender;
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
 * {@code comparisons.jsonl} in the {@code ultrafeedback_binarized} layout.
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

  /** What the job wrote. */
  public record Result(int prompts, int answeredNow, HeuristicFilter.Stats heuristic, int disagreed, int written) {}

  public Result run(List<String> prompts, Path outputDir) {
    Path responsesFile = outputDir.resolve("responses.jsonl");
    Set<String> done = new HashSet<>();
    for (Responses r : JsonlAppender.readComplete(responsesFile, Responses.class)) {
      done.add(r.prompt());
    }
    List<String> distinct = prompts.stream().distinct().toList();
    List<String> todo = distinct.stream().filter(p -> !done.contains(p)).toList();
    try (JsonlAppender out = JsonlAppender.open(responsesFile);
        Progress.Task task = progress.start("respond", "prompts", distinct.size(), distinct.size() - todo.size())) {
      for (int s = 0; s < todo.size(); s += batchSize) {
        List<String> part = todo.subList(s, Math.min(todo.size(), s + batchSize));
        List<Map<String, String>> answers = generator.respond(part);
        List<Responses> rows = new ArrayList<>();
        for (int k = 0; k < part.size(); k++) {
          rows.add(new Responses(part.get(k), new LinkedHashMap<>(answers.get(k))));
        }
        out.appendAll(rows);
        task.advance(part.size());
      }
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
    return new Result(byPrompt.size(), todo.size(), filter.stats(), disagreed, pairs.size());
  }
}
