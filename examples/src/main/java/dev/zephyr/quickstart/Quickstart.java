package dev.zephyr.quickstart;

import dev.zephyr.core.chat.ChatModel;
import dev.zephyr.core.progress.Progress;
import dev.zephyr.train.pipeline.Aif;
import dev.zephyr.train.pipeline.Artifacts;
import dev.zephyr.train.pipeline.Dsft;
import dev.zephyr.train.pipeline.Pipeline;
import dev.zephyr.train.pipeline.PipelineEvent;
import dev.zephyr.train.pipeline.PipelineListener;
import dev.zephyr.train.pipeline.PipelineResult;
import dev.zephyr.train.pipeline.StageContext;
import dev.zephyr.train.pipeline.StageResult;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The README's main command as a program: the whole Zephyr recipe on the miniature world, then the paper's ablation.
 *
 * <ol>
 *   <li>{@code world/}: prompts, demonstrations from the rule-based teacher, pretraining text, tokenizer;
 *   <li>{@code init/}: the tiny student with random weights;
 *   <li>{@code base/01-pretrain}: pretraining on world text makes it a base model;
 *   <li>{@code zephyr/01-dsft, 02-aif, 03-ddpo}: dSFT, AI feedback from a pool of three generators rated by the
 *       rule-based judge and binarised, dDPO from the dSFT model;
 *   <li>{@code ablation/01-aif, 02-ddpo}: dDPO from the base model on the same preferences (dSFT skipped);
 *   <li>{@code eval/<model>/}: every model answers the held-out prompts, the judge grades them;
 *   <li>{@code quickstart-results.json} and the table.
 * </ol>
 * Every step is a pipeline stage with a manifest, so an interrupted run continues where it stopped.
 */
public final class Quickstart {
  private final QuickstartWorld world;
  private final QuickstartStages stages;
  private final PrintStream out;
  private final Progress progress;

  public Quickstart(QuickstartWorld world, QuickstartStages stages, PrintStream out) {
    this(world, stages, out, Progress.NONE);
  }

  /** With the stages' work (training steps, feedback calls...) reported to {@code progress}. */
  public Quickstart(QuickstartWorld world, QuickstartStages stages, PrintStream out, Progress progress) {
    this.world = world;
    this.stages = stages;
    this.out = out;
    this.progress = progress;
  }

  /** What the quickstart prints first, so nobody mistakes the demo's teacher and judge for LLMs. */
  public static final String NOTICE = """
      zephyr quickstart: the Zephyr recipe (dSFT -> AI feedback -> dDPO) on a miniature world, offline.
      The teacher and the judge are RULE-BASED programs (they solve and grade the world's verifiable tasks), so this
      demo runs on a laptop without network. For a real run, point the teacher, the feedback pool and the judge at
      OpenAI-compatible endpoints (base_url, model, api_key_env in `zephyr aif --config FILE.yaml`) and the student
      at a local Hugging Face checkpoint directory (`student:` in `zephyr pipeline --config builtin:zephyr-7b-beta
      --dry-run` shows the full recipe); see the README.""";

  /** How often the dSFT teacher opens with a pleasantry (the habit the judge's concision rule lets dDPO remove). */
  static final double CHATTINESS = 0.6;

  /** Runs (or continues) everything under {@code work} and returns the ablation. */
  public QuickstartResults run(Path work) throws Exception {
    long t0 = System.nanoTime();
    out.println(NOTICE);
    long seed = world.seed();
    ChatModel teacher = new RuleBasedTeacher();
    ChatModel judge = new RuleBasedJudge();
    ChatModel noisy = new NoisyTeacher(seed, 0.5);

    // dSFT demonstrations come from a teacher that is always right but often chatty, as chat-model data is
    QuickstartWorld.Files files = world.write(work.resolve("world"), new ChattyTeacher(seed, CHATTINESS));
    Path init = work.resolve("init/model");
    if (!Files.isRegularFile(init.resolve("config.json")) || !sameTokenizer(init, files.tokenizer())) {
      init = stages.initStudent(files.tokenizer(), init, seed);
    }

    PipelineResult base = Pipeline.dsft(Dsft.of(stages.pretraining()).fromDataset(files.pretraining()).named("pretrain"))
        .seed(seed).listener(stageLines("base")).progress(progress.scoped("base")).run(init, work.resolve("base"));
    Path baseModel = base.finalModel();

    QuickstartStages.FeedbackSetup setup =
        new QuickstartStages.FeedbackSetup(files.aifPrompts(), baseModel, noisy, teacher, judge, 4, seed);
    PipelineResult zephyr = Pipeline.dsft(Dsft.of(stages.sft()).fromDataset(files.demonstrations()))
        .aif(Aif.of(stages.feedback(setup)).samplingStudent())
        .ddpo(stages.dpo())
        .seed(seed).listener(stageLines("zephyr")).progress(progress.scoped("zephyr"))
        .run(baseModel, work.resolve("zephyr"));
    Path dsftModel = zephyr.stage("dsft").orElseThrow().artifact(Artifacts.MODEL);
    Path preferences = zephyr.artifact(Artifacts.PREFERENCES).orElseThrow();

    PipelineResult ablation = Pipeline.empty().aif(Aif.preferences(preferences)).ddpo(stages.dpo())
        .seed(seed).listener(stageLines("ablation")).progress(progress.scoped("ablation"))
        .run(baseModel, work.resolve("ablation"));

    Map<String, Path> models = new LinkedHashMap<>();
    models.put("base", baseModel);
    models.put("dsft", dsftModel);
    models.put("ddpo", ablation.finalModel());
    models.put("dsft+ddpo", zephyr.finalModel());
    HeldOutEvaluation evaluation = new HeldOutEvaluation(files.heldOut(), judge, 32);
    Map<String, PipelineResult> evals = new LinkedHashMap<>();
    for (Map.Entry<String, Path> m : models.entrySet()) {
      evals.put(m.getKey(), Pipeline.empty().evaluate(evaluation).modelLoader(stages.loader()).seed(seed)
          .listener(stageLines("eval/" + m.getKey())).progress(progress.scoped("eval/" + m.getKey()))
          .run(m.getValue(),
              work.resolve("eval").resolve(m.getKey().replace('+', '_'))));
    }

    Path dsftAnswers = answers(evals.get("dsft"));
    List<QuickstartResults.Row> rows = new ArrayList<>();
    for (String name : QuickstartResults.MODELS) {
      PipelineResult e = evals.get(name);
      rows.add(new QuickstartResults.Row(name, e.metrics("eval").getOrDefault("judge_score", Double.NaN),
          HeldOutEvaluation.winRate(answers(e), dsftAnswers)));
    }
    Map<String, Double> dpo = zephyr.metrics("ddpo");
    QuickstartResults results = new QuickstartResults(rows,
        new QuickstartResults.Dpo(dpo.getOrDefault("rewards/accuracies", Double.NaN),
            dpo.getOrDefault("rewards/margins", Double.NaN)),
        Math.round((System.nanoTime() - t0) / 1e9));
    Path file = results.write(work);
    Path chart = QuickstartCharts.scores(results, work);
    Map<String, Path> sftCurves = new LinkedHashMap<>();
    sftCurves.put("pretrain", metrics(base, "pretrain"));
    sftCurves.put("dSFT", metrics(zephyr, "dsft"));
    Map<String, Path> dpoCurves = new LinkedHashMap<>();
    dpoCurves.put("dSFT+dDPO", metrics(zephyr, "ddpo"));
    dpoCurves.put("dDPO", metrics(ablation, "ddpo"));
    Path training = QuickstartCharts.trainingCurves(sftCurves, dpoCurves, work);
    Path dpoChart = QuickstartCharts.dpoCurves(dpoCurves, work);
    out.println();
    out.print(results.table());
    out.println("Results: " + file);
    out.println("Charts: " + chart + ", " + training + ", " + dpoChart);
    return results;
  }

  /** False when the student in {@code modelDir} was made for another world's tokenizer (another size or seed). */
  private static boolean sameTokenizer(Path modelDir, Path tokenizerDir) throws java.io.IOException {
    Path a = modelDir.resolve("tokenizer.json");
    Path b = tokenizerDir.resolve("tokenizer.json");
    return !Files.isRegularFile(a) || !Files.isRegularFile(b) || Files.mismatch(a, b) == -1;
  }

  /** The trainer's {@code metrics.jsonl} in a training stage's run directory. */
  private static Path metrics(PipelineResult result, String stage) {
    return result.stage(stage).orElseThrow().dir().resolve(StageContext.RUN_DIR).resolve("metrics.jsonl");
  }

  private static Path answers(PipelineResult eval) {
    return eval.artifact(Artifacts.EVALUATION + "/answers").orElseThrow();
  }

  /**
   * Prints a line when a stage starts, is skipped or finishes ({@code [zephyr/02-aif] running}); the work inside a
   * stage is reported to the progress.
   */
  private PipelineListener stageLines(String pipeline) {
    return e -> {
      if (e instanceof PipelineEvent.StageStarted s) {
        out.printf(Locale.ROOT, "[%s/%s] %s%n", pipeline, s.id(), s.resuming() ? "resuming" : "running");
      } else if (e instanceof PipelineEvent.StageSkipped s) {
        out.printf(Locale.ROOT, "[%s/%s] unchanged, skipped%n", pipeline, s.id());
      } else if (e instanceof PipelineEvent.StageFinished f && f.result().status() != StageResult.Status.SKIPPED) {
        out.printf(Locale.ROOT, "[%s/%s] done in %.1f s %s%n", pipeline, f.result().id(),
            f.result().elapsed().toMillis() / 1e3, f.result().metrics());
      }
    };
  }
}
