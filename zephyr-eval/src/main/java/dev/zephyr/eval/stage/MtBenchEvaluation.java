package dev.zephyr.eval.stage;

import dev.zephyr.core.ZephyrException;
import dev.zephyr.core.chat.ChatModel;
import dev.zephyr.core.eval.EvalReport;
import dev.zephyr.core.eval.Evaluation;
import dev.zephyr.core.io.AtomicFiles;
import dev.zephyr.core.io.Jsonl;
import dev.zephyr.core.progress.Progress;
import dev.zephyr.eval.mtbench.AnswerGenerator;
import dev.zephyr.eval.mtbench.ModelAnswer;
import dev.zephyr.eval.mtbench.MtBench;
import dev.zephyr.eval.mtbench.MtBenchJudge;
import dev.zephyr.eval.mtbench.MtBenchScores;
import dev.zephyr.eval.mtbench.Question;
import dev.zephyr.eval.mtbench.SingleJudgment;
import dev.zephyr.eval.report.Reports;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * MT-Bench single-answer grading of a model: answers ({@code model_answer/<id>.jsonl}), the judge's grades
 * ({@code model_judgment/<judge>_single.jsonl}, calls cached in {@code judge_cache.jsonl}) and a Markdown table
 * ({@code mt_bench.md}). Metrics: {@code score}, {@code turn1}, {@code turn2}, {@code failed}.
 */
public final class MtBenchEvaluation implements Evaluation {
  private final MtBenchSettings settings;

  public MtBenchEvaluation(MtBenchSettings settings) {
    this.settings = Objects.requireNonNull(settings, "settings");
  }

  @Override
  public String name() {
    return "mt_bench";
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
    MtBench bench = MtBench.load(settings.benchDir());
    String id = EvalSteps.modelId(model);
    List<Question> qs = bench.questions();
    if (settings.firstN() > 0) {
      qs = qs.subList(0, Math.min(settings.firstN(), qs.size()));
    }
    Path answerFile = outputDir.resolve("model_answer").resolve(id + ".jsonl");
    AnswerGenerator.Result answered = new AnswerGenerator(model, id, settings.maxNewToken(), 1, settings.batchSize(),
        null).progress(progress).generate(qs, answerFile);
    EvalSteps.requireDone("mt_bench answers", answered.counts(), answered.failuresFile(), answered.stopReason());
    Map<Integer, ModelAnswer> answers = answered.answers();
    String judgeModel = settings.judge().model();
    Path judgments = outputDir.resolve("model_judgment").resolve(judgeModel + "_single.jsonl");
    try (ChatModel client = settings.judge().open(outputDir.resolve("judge_cache.jsonl"))) {
      MtBenchJudge.Result<SingleJudgment> judged = new MtBenchJudge(client, judgeModel, bench, settings.batchSize())
          .progress(progress).judgeSingle(id, answers, judgments);
      EvalSteps.requireDone("mt_bench judgments", judged.counts(), judged.failuresFile(), judged.stopReason());
    }
    List<MtBenchScores.SingleResult> res =
        MtBenchScores.single(Jsonl.readAll(judgments, SingleJudgment.class), bench::category);
    MtBenchScores.SingleResult r = res.stream().filter(x -> x.model().equals(id)).findFirst()
        .orElseThrow(() -> new ZephyrException("mt_bench: no judgments for " + id + " in " + judgments));
    Path report = outputDir.resolve("mt_bench.md");
    AtomicFiles.writeString(report, Reports.mtBenchTable(res).render());
    Map<String, Double> metrics = new LinkedHashMap<>();
    metrics.put("score", r.score());
    metrics.put("turn1", r.turn1());
    metrics.put("turn2", r.turn2());
    metrics.put("failed", (double) r.failed());
    return new EvalReport("mt_bench", model.name(), metrics,
        Map.of("answers", answerFile, "judgments", judgments, "report", report));
  }
}
