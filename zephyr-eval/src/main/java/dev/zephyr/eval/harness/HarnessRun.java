package dev.zephyr.eval.harness;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.zephyr.core.InvalidInputException;
import dev.zephyr.core.io.AtomicFiles;
import dev.zephyr.core.io.Json;
import dev.zephyr.core.progress.Progress;
import dev.zephyr.eval.mc.LoglikelihoodModel;
import dev.zephyr.eval.report.LmEvalTable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One {@code zephyr lm-eval} run: {@link #prepare} reads and checks every task's splits, then
 * {@link Prepared#run} scores the tasks through a {@link CachedLoglikelihoodModel} (so a killed run continues) and
 * writes the results JSON and its Markdown tables.
 */
public final class HarnessRun {
  /**
   * What to run.
   *
   * @param tasks task names as {@link HarnessTasks#resolve} reads them
   * @param data folders holding the tasks' datasets ({@link HarnessData})
   * @param numFewshot few-shot examples for every task, or null for each task's default
   * @param limit documents per task (a count, or a fraction below 1), or null for all
   * @param batchSize log-likelihood requests per model call
   * @param output the results JSON; the Markdown tables go next to it with the extension {@code .md}
   * @param cache the request cache (JSONL)
   * @param modelId identifies the model and scoring settings in the cache keys
   * @param modelArgs reported as lm-eval's {@code config.model_args}
   */
  public record Config(List<String> tasks, List<Path> data, Integer numFewshot, Double limit, int batchSize,
      Path output, Path cache, String modelId, String modelArgs) {
    public Config {
      tasks = List.copyOf(tasks);
      data = List.copyOf(data);
      Objects.requireNonNull(output, "output");
      Objects.requireNonNull(cache, "cache");
      if (batchSize < 1) {
        throw InvalidInputException.field("--batch-size", "batch_size", "must be at least 1, got " + batchSize);
      }
      if (numFewshot != null && numFewshot < 0) {
        throw InvalidInputException.field("--num-fewshot", "num_fewshot", "must be 0 or more, got " + numFewshot);
      }
    }
  }

  /** The results file's JSON and the Markdown tables written. */
  public record Outcome(ObjectNode results, String markdown, Path json, Path markdownFile) {}

  private HarnessRun() {}

  /**
   * Reads and checks every task's splits, before any model is loaded: a bad row in the last task should cost
   * neither the model's loading nor the scoring of the tasks before it.
   *
   * @param reader reads the data files (JSONL only with {@link HarnessData#jsonlReader()})
   */
  public static Prepared prepare(Config config, HarnessData.RowReader reader) {
    List<HarnessTask> tasks = HarnessTasks.resolve(config.tasks());
    HarnessData data = new HarnessData(config.data(), reader);
    List<HarnessData.Split[]> splits = new ArrayList<>();
    for (HarnessTask task : tasks) {
      int shots = shots(config, task);
      HarnessData.Split eval = data.read(task, task.evalSplit());
      HarnessData.Split fewshot = shots == 0 ? null
          : task.fewshotFromEvalSplit() ? eval : data.read(task, task.fewshotSplit());
      splits.add(new HarnessData.Split[] {eval, fewshot});
    }
    return new Prepared(config, tasks, splits);
  }

  /** The tasks of a run with their splits read and checked. */
  public static final class Prepared {
    private final Config config;
    private final List<HarnessTask> tasks;
    private final List<HarnessData.Split[]> splits;

    private Prepared(Config config, List<HarnessTask> tasks, List<HarnessData.Split[]> splits) {
      this.config = config;
      this.tasks = List.copyOf(tasks);
      this.splits = List.copyOf(splits);
    }

    /** The tasks, in run order. */
    public List<HarnessTask> tasks() {
      return tasks;
    }

    /** Scores every task through the request cache and writes the results JSON and its Markdown tables. */
    public Outcome run(LoglikelihoodModel model, Progress progress) {
      List<TaskResult> results = new ArrayList<>();
      try (CachedLoglikelihoodModel cached = new CachedLoglikelihoodModel(model, config.modelId(), config.cache())) {
        HarnessEvaluator evaluator = new HarnessEvaluator(cached, config.batchSize());
        for (int i = 0; i < tasks.size(); i++) {
          HarnessTask task = tasks.get(i);
          results.add(evaluator.evaluate(task, splits.get(i)[0], splits.get(i)[1], shots(config, task),
              config.limit(), progress));
        }
      }
      return write(config, results);
    }
  }

  private static Outcome write(Config config, List<TaskResult> results) {
    Map<String, Object> settings = new LinkedHashMap<>();
    settings.put("model", "zephyr");
    settings.put("model_args", config.modelArgs());
    settings.put("batch_size", config.batchSize());
    settings.put("limit", config.limit());
    settings.put("fewshot_seed", FewshotContexts.SEED);
    settings.put("request_cache", config.cache().toString());
    ObjectNode json = HarnessResults.toJson(results, settings);
    String markdown = LmEvalTable.render(json, config.output().toString());
    String name = config.output().getFileName().toString();
    Path md = config.output().resolveSibling((name.endsWith(".json") ? name.substring(0, name.length() - 5) : name)
        + ".md");
    try {
      String text = Json.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(json) + "\n";
      AtomicFiles.writeString(config.output(), text);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + config.output(), e);
    }
    AtomicFiles.writeString(md, markdown);
    return new Outcome(json, markdown, config.output(), md);
  }

  private static int shots(Config config, HarnessTask task) {
    return config.numFewshot() != null ? config.numFewshot() : task.defaultFewshot();
  }
}
