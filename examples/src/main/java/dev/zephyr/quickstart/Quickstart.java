package dev.zephyr.quickstart;

import dev.zephyr.core.chat.ChatModel;
import dev.zephyr.core.progress.Progress;
import dev.zephyr.train.pipeline.Aif;
import dev.zephyr.train.pipeline.Artifacts;
import dev.zephyr.train.pipeline.Pipeline;
import dev.zephyr.train.pipeline.PipelineResult;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
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
    RecipeStart start = new RecipeStart(world, stages, out, progress);
    RecipeStart.Started started = start.start(work);
    QuickstartWorld.Files files = started.files();
    PipelineResult base = started.base();
    Path baseModel = started.baseModel();

    QuickstartStages.FeedbackSetup setup =
        new QuickstartStages.FeedbackSetup(files.aifPrompts(), baseModel, noisy, teacher, judge, 4, seed);
    PipelineResult zephyr = Pipeline.dsft(start.dsft(started))
        .aif(Aif.of(stages.feedback(setup)).samplingStudent())
        .ddpo(stages.dpo())
        .seed(seed).listener(start.stageLines("zephyr")).progress(progress.scoped("zephyr"))
        .run(baseModel, work.resolve("zephyr"));
    Path dsftModel = zephyr.stage("dsft").orElseThrow().artifact(Artifacts.MODEL);
    Path preferences = zephyr.artifact(Artifacts.PREFERENCES).orElseThrow();

    PipelineResult ablation = Pipeline.empty().aif(Aif.preferences(preferences)).ddpo(stages.dpo())
        .seed(seed).listener(start.stageLines("ablation")).progress(progress.scoped("ablation"))
        .run(baseModel, work.resolve("ablation"));

    Map<String, Path> models = new LinkedHashMap<>();
    models.put("base", baseModel);
    models.put("dsft", dsftModel);
    models.put("ddpo", ablation.finalModel());
    models.put("dsft+ddpo", zephyr.finalModel());
    HeldOutEvaluation evaluation = new HeldOutEvaluation(files.heldOut(), judge, 32);
    Map<String, PipelineResult> evals = new LinkedHashMap<>();
    for (Map.Entry<String, Path> m : models.entrySet()) {
      evals.put(m.getKey(), start.evaluate(m.getKey(), m.getValue(), evaluation, work));
    }

    Path dsftAnswers = RecipeStart.answers(evals.get("dsft"));
    List<QuickstartResults.Row> rows = new ArrayList<>();
    for (String name : QuickstartResults.MODELS) {
      PipelineResult e = evals.get(name);
      rows.add(new QuickstartResults.Row(name, e.metrics("eval").getOrDefault("judge_score", Double.NaN),
          HeldOutEvaluation.winRate(RecipeStart.answers(e), dsftAnswers)));
    }
    Map<String, Double> dpo = zephyr.metrics("ddpo");
    QuickstartResults results = new QuickstartResults(rows,
        new QuickstartResults.Dpo(dpo.getOrDefault("rewards/accuracies", Double.NaN),
            dpo.getOrDefault("rewards/margins", Double.NaN)),
        Math.round((System.nanoTime() - t0) / 1e9));
    Path file = results.write(work);
    Path chart = QuickstartCharts.scores(results, work);
    Map<String, Path> sftCurves = new LinkedHashMap<>();
    sftCurves.put("pretrain", RecipeStart.metrics(base, "pretrain"));
    sftCurves.put("dSFT", RecipeStart.metrics(zephyr, "dsft"));
    Map<String, Path> dpoCurves = new LinkedHashMap<>();
    dpoCurves.put("dSFT+dDPO", RecipeStart.metrics(zephyr, "ddpo"));
    dpoCurves.put("dDPO", RecipeStart.metrics(ablation, "ddpo"));
    Path training = QuickstartCharts.trainingCurves(sftCurves, dpoCurves, work);
    Path dpoChart = QuickstartCharts.dpoCurves(dpoCurves, work);
    out.println();
    out.print(results.table());
    out.println("Results: " + file);
    out.println("Charts: " + chart + ", " + training + ", " + dpoChart);
    return results;
  }
}
