package dev.zephyr.eval.stage;

import dev.zephyr.core.ZephyrException;
import dev.zephyr.core.chat.ChatModel;
import dev.zephyr.core.eval.EvalReport;
import dev.zephyr.core.eval.Evaluation;
import dev.zephyr.core.eval.ModelUnderTest;
import dev.zephyr.core.generate.LocalModel;
import dev.zephyr.core.io.AtomicFiles;
import dev.zephyr.core.io.Json;
import dev.zephyr.core.io.Jsonl;
import dev.zephyr.core.progress.Progress;
import dev.zephyr.eval.mc.LocalLoglikelihoodModel;
import dev.zephyr.eval.mc.LoglikelihoodModel;
import dev.zephyr.eval.mc.McEvaluator;
import dev.zephyr.eval.mc.McExample;
import dev.zephyr.eval.mc.McTask;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Multiple-choice log-likelihood accuracy of a local model (lm-evaluation-harness's {@code acc} and {@code acc_norm},
 * scored by {@link McEvaluator} as {@code zephyr mc} scores them). It needs the model's log-probabilities, not chat:
 * in a pipeline it opens the model directory under test with {@link LocalModel#open}; from Java it also scores any
 * {@link LoglikelihoodModel} ({@link #evaluate(LoglikelihoodModel, String, Path, Progress)}).
 *
 * <p>Writes {@code results.json} (the metrics, as {@code zephyr mc --out} writes them) and {@code samples.jsonl}
 * (per item: the gold index, each choice's log-likelihood and the predictions). Metrics: {@code acc},
 * {@code acc_stderr}, {@code acc_norm}, {@code acc_norm_stderr} and the item count {@code n}.
 */
public final class McEvaluation implements Evaluation {
  private final McSettings settings;

  public McEvaluation(McSettings settings) {
    this.settings = Objects.requireNonNull(settings, "settings");
  }

  @Override
  public String name() {
    return "mc";
  }

  @Override
  public Map<String, Object> config() {
    return settings.keys();
  }

  /** Not possible: a chat model gives no log-likelihoods of given continuations. */
  @Override
  public EvalReport evaluate(ChatModel model, Path outputDir) {
    throw new ZephyrException("evaluation 'mc' scores the log-likelihoods of a local model directory, which a chat"
        + " model ('" + model.name() + "') does not give; use evaluateModel (the pipeline's evaluate stage does) or"
        + " evaluate(LoglikelihoodModel, ...)");
  }

  @Override
  public EvalReport evaluateModel(ModelUnderTest model, Path outputDir, Progress progress) {
    // scoring runs few long forwards, so a 16-bit checkpoint stays at 2 bytes: half the memory, little time
    try (LocalModel local = LocalModel.open(model.directory(), null, null, new LocalModel.Options(null, true))) {
      LoglikelihoodModel scorer = new LocalLoglikelihoodModel(local.model(), local.tokenizer(), local.manager(),
          settings.maxLength());
      return evaluate(scorer, model.name(), outputDir, progress);
    }
  }

  /** Scores {@code model} (named {@code modelName} in the report) on the task, writing into {@code outputDir}. */
  public EvalReport evaluate(LoglikelihoodModel model, String modelName, Path outputDir, Progress progress) {
    List<McExample> items = items();
    McEvaluator.Result r = new McEvaluator(model, settings.batchSize()).evaluate(items, progress);
    Map<String, Object> results = new LinkedHashMap<>();
    results.put("task", settings.task().getFileName().toString());
    results.put("format", settings.format());
    Map<String, Double> metrics = new LinkedHashMap<>();
    metrics.put("n", (double) r.n());
    metrics.put("acc", r.acc());
    metrics.put("acc_stderr", r.accStderr());
    metrics.put("acc_norm", r.accNorm());
    metrics.put("acc_norm_stderr", r.accNormStderr());
    results.put("n", r.n());
    metrics.forEach((k, v) -> results.putIfAbsent(k, v));
    Path resultsFile = outputDir.resolve("results.json");
    Path samplesFile = outputDir.resolve("samples.jsonl");
    try {
      Files.createDirectories(outputDir);
      AtomicFiles.writeString(resultsFile, Json.mapper().writeValueAsString(results) + "\n");
    } catch (IOException e) {
      throw new ZephyrException("cannot write " + resultsFile + ": " + e.getMessage(), e);
    }
    Jsonl.writeAll(samplesFile, samples(r));
    return new EvalReport("mc", modelName, metrics, Map.of("results", resultsFile, "samples", samplesFile));
  }

  /** The task's items, the first {@code limit} of them when a limit is set. */
  List<McExample> items() {
    String primer = "";
    if (settings.primer() != null) {
      try {
        primer = Files.readString(settings.primer());
      } catch (IOException e) {
        throw new ZephyrException("cannot read the primer " + settings.primer() + ": " + e.getMessage(), e);
      }
    }
    List<McExample> all = McTask.read(settings.task(), settings.format(), primer);
    return settings.limit() > 0 && settings.limit() < all.size() ? all.subList(0, settings.limit()) : all;
  }

  /** One line per item, in task order. */
  private static List<Map<String, Object>> samples(McEvaluator.Result r) {
    List<Map<String, Object>> out = new ArrayList<>();
    for (int i = 0; i < r.perItem().size(); i++) {
      McEvaluator.Item item = r.perItem().get(i);
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("doc_id", i);
      m.put("gold", item.gold());
      m.put("loglikelihoods", item.loglikelihoods());
      m.put("pred", item.predicted());
      m.put("pred_norm", item.predictedNorm());
      m.put("acc", item.predicted() == item.gold() ? 1 : 0);
      m.put("acc_norm", item.predictedNorm() == item.gold() ? 1 : 0);
      out.add(m);
    }
    return out;
  }
}
