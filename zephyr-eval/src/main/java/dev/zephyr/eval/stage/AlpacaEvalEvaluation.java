package dev.zephyr.eval.stage;

import dev.zephyr.core.chat.ChatModel;
import dev.zephyr.core.chat.SamplingParams;
import dev.zephyr.core.eval.EvalReport;
import dev.zephyr.core.eval.Evaluation;
import dev.zephyr.core.progress.Progress;
import dev.zephyr.eval.alpacaeval.AlpacaEvalFiles;
import dev.zephyr.eval.alpacaeval.Annotation;
import dev.zephyr.eval.alpacaeval.JudgePromptTemplate;
import dev.zephyr.eval.alpacaeval.LeaderboardRow;
import dev.zephyr.eval.alpacaeval.LengthControlledWinRate;
import dev.zephyr.eval.alpacaeval.ModelOutput;
import dev.zephyr.eval.alpacaeval.OutputGenerator;
import dev.zephyr.eval.alpacaeval.PairwiseAnnotator;
import dev.zephyr.eval.alpacaeval.WinRate;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * AlpacaEval of a model against the eval set's reference outputs: the model's outputs ({@code model_outputs.json}),
 * the annotator's preferences ({@code <annotator>/annotations.json}, calls cached in {@code judge_cache.jsonl}) and
 * the leaderboard row ({@code leaderboard.csv}). Metrics: {@code win_rate}, {@code standard_error},
 * {@code length_controlled_winrate}, {@code avg_length}.
 */
public final class AlpacaEvalEvaluation implements Evaluation {
  private final AlpacaEvalSettings settings;

  public AlpacaEvalEvaluation(AlpacaEvalSettings settings) {
    this.settings = Objects.requireNonNull(settings, "settings");
  }

  @Override
  public String name() {
    return "alpaca_eval";
  }

  @Override
  public Map<String, Object> config() {
    return settings.keys();
  }

  @Override
  public EvalReport evaluate(ChatModel model, Path outputDir) {
    return evaluate(model, outputDir, Progress.NONE);
  }

  @Override
  public EvalReport evaluate(ChatModel model, Path outputDir, Progress progress) {
    List<ModelOutput> reference = AlpacaEvalFiles.readModelOutputs(settings.evalSet());
    SamplingParams p = SamplingParams.builder().temperature(settings.temperature())
        .maxTokens(settings.maxNewTokens()).seed(0L).build();
    String id = EvalSteps.modelId(model);
    Path outputsFile = outputDir.resolve("model_outputs.json");
    OutputGenerator.Result generated = OutputGenerator.generate(model, id, reference, p, settings.batchSize(),
        outputsFile, progress);
    EvalSteps.requireDone("alpaca_eval outputs", generated.counts(), generated.failuresFile(),
        generated.stopReason());
    Path annotationsFile = outputDir.resolve(settings.annotator()).resolve("annotations.json");
    List<Annotation> ann;
    try (ChatModel client = settings.judge().open(outputDir.resolve("judge_cache.jsonl"))) {
      PairwiseAnnotator.Result annotated = PairwiseAnnotator.builder().judge(client)
          .template(JudgePromptTemplate.read(settings.annotatorPrompt())).annotatorName(settings.annotator())
          .parser(settings.parser()).batchSize(settings.batchSize()).progress(progress).build()
          .annotate(reference, generated.outputs(), annotationsFile);
      EvalSteps.requireDone("alpaca_eval annotations", annotated.counts(), annotated.failuresFile(),
          annotated.stopReason());
      ann = annotated.annotations();
    }
    List<Double> prefs = ann.stream().map(Annotation::preference).toList();
    LeaderboardRow row = WinRate.compute(id, prefs, ann.stream().map(Annotation::output2).toList())
        .withLengthControlled(LengthControlledWinRate.compute(ann.stream().map(Annotation::output1).toList(),
            ann.stream().map(Annotation::output2).toList(), prefs, null, null,
            LengthControlledWinRate.Variant.LENGTH_CONTROLLED_MINIMAL));
    Path csv = outputDir.resolve("leaderboard.csv");
    AlpacaEvalFiles.writeLeaderboardCsv(csv, List.of(row));
    Map<String, Double> metrics = new LinkedHashMap<>();
    metrics.put("win_rate", row.winRate());
    metrics.put("standard_error", row.standardError());
    metrics.put("length_controlled_winrate", row.lengthControlledWinrate());
    metrics.put("avg_length", (double) row.avgLength());
    return new EvalReport("alpaca_eval", model.name(), metrics,
        Map.of("outputs", outputsFile, "annotations", annotationsFile, "report", csv));
  }
}
