package dev.zephyr.quickstart;

import dev.zephyr.core.chat.ChatModel;
import dev.zephyr.core.chat.Message;
import dev.zephyr.core.io.Jsonl;
import dev.zephyr.core.progress.Progress;
import dev.zephyr.train.pipeline.Artifacts;
import dev.zephyr.train.pipeline.Pipeline;
import dev.zephyr.train.pipeline.PipelineResult;
import dev.zephyr.train.pipeline.RlsfStage;
import dev.zephyr.train.pipeline.StageContext;
import dev.zephyr.train.pipeline.StageResult;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code zephyr quickstart --recipe almost}: ALMoST (Kim et al. 2023, "Aligning Large Language Models through
 * Synthetic Feedback") on the miniature world, from the same base and dSFT models as the Zephyr recipe.
 *
 * <ol>
 *   <li>{@code world/}, {@code init/}, {@code base/01-pretrain}, {@code zephyr/01-dsft}: as {@link Quickstart} (done
 *       once when both recipes share a work directory);
 *   <li>{@code almost/01-rm}: generator configurations ranked best to worst answer the first AI-feedback prompts,
 *       the heuristic filter makes synthetic comparisons, a reward model (initialised from the dSFT model) trains on
 *       all but a held-out share of them;
 *   <li>{@code almost/02-rmsp}: reward-model-guided self-play: the dSFT model answers the next AI-feedback prompts
 *       best-of-N by the reward model, giving SFT data in the {@code messages} layout;
 *   <li>{@code almost/03-sft}: SFT of the dSFT model on those dialogues ({@code almost-sft});
 *   <li>{@code almost/04-ppo}: RLSF, PPO against the reward model from the SFT model on the dialogues' first queries
 *       ({@code almost-rlsf});
 *   <li>{@code eval/<model>/}: held-out evaluation by the judge, also of every PPO checkpoint
 *       ({@code almost/ppo-steps/step-N});
 *   <li>{@code almost/rm_vs_judge.jsonl}: the reward model against the judge on the held-out comparisons;
 *       {@code quickstart-almost-results.json}, the table and {@code quickstart-almost-rlsf.png}.
 * </ol>
 * The self-play starts from the dSFT model rather than a few-shot-prompted base model (ALMoST's assistant): a student
 * this small cannot follow a few-shot dialogue prompt it never saw, so the dSFT model stands in for the prompted one.
 */
public final class AlmostQuickstart {
  /** What the almost recipe prints first. */
  public static final String NOTICE = """
      zephyr quickstart --recipe almost: ALMoST (synthetic comparisons -> reward model -> RM-guided self-play -> SFT
      -> RLSF with PPO) on the miniature world, offline. The noisy teacher and the judge are RULE-BASED programs; the
      judge only grades (the reward model never sees its grades), and its preferences check the reward model.""";
  /** House-style demonstrations available to the generator configurations' shots. */
  static final int DEMONSTRATIONS = 3;

  private final QuickstartWorld world;
  private final QuickstartStages stages;
  private final AlmostStages almost;
  private final PrintStream out;
  private final Progress progress;

  public AlmostQuickstart(QuickstartWorld world, QuickstartStages stages, AlmostStages almost, PrintStream out,
      Progress progress) {
    this.world = world;
    this.stages = stages;
    this.almost = almost;
    this.out = out;
    this.progress = progress;
  }

  /** A line of {@code almost/seeds.jsonl}: a self-play seed question. */
  record Seed(String id, String prompt) {}

  /** Runs (or continues) everything under {@code work} and returns the results. */
  public AlmostResults run(Path work) throws Exception {
    long t0 = System.nanoTime();
    out.println(NOTICE);
    long seed = world.seed();
    ChatModel judge = new RuleBasedJudge();
    RecipeStart start = new RecipeStart(world, stages, out, progress);
    RecipeStart.Started started = start.start(work);
    PipelineResult dsft = Pipeline.dsft(start.dsft(started)).seed(seed).listener(start.stageLines("zephyr"))
        .progress(progress.scoped("zephyr")).run(started.baseModel(), work.resolve("zephyr"));

    AlmostStages.Settings s = almost.settings();
    List<QuickstartWorld.Prompt> prompts = Jsonl.readAll(started.files().aifPrompts(), QuickstartWorld.Prompt.class);
    if (prompts.size() < s.prompts()) {
      throw new IllegalArgumentException("the almost recipe takes " + s.comparisonPrompts() + " comparison and "
          + s.rmspPrompts() + " self-play prompts, but " + started.files().aifPrompts() + " holds " + prompts.size());
    }
    Path dir = work.resolve("almost");
    Files.createDirectories(dir);
    Path seeds = dir.resolve("seeds.jsonl");
    Jsonl.writeAll(seeds, prompts.subList(s.comparisonPrompts(), s.prompts()).stream()
        .map(p -> new Seed(p.prompt_id(), p.prompt())).toList());
    WorldComparisons.Setup setup = new WorldComparisons.Setup(
        prompts.subList(0, s.comparisonPrompts()).stream().map(QuickstartWorld.Prompt::prompt).toList(),
        demonstrations(), started.baseModel(), TrainedStages.MAX_NEW_TOKENS);
    RlsfStage rl = almost.rlsf();
    PipelineResult run = Pipeline.almost(almost.rewardModel(setup)).rmsp(almost.rmsp(seeds)).sft(almost.sft())
        .rlsf(rl).seed(seed).listener(start.stageLines("almost")).progress(progress.scoped("almost")).run(
            dsft.finalModel(), dir);

    Map<String, Path> models = new LinkedHashMap<>();
    models.put("base", started.baseModel());
    models.put("dsft", dsft.finalModel());
    models.put("almost-sft", run.stage("sft").orElseThrow().artifact(Artifacts.MODEL));
    models.put("almost-rlsf", run.finalModel());
    HeldOutEvaluation evaluation = new HeldOutEvaluation(started.files().heldOut(), judge, 32);
    Map<String, PipelineResult> evals = new LinkedHashMap<>();
    models.forEach((name, model) -> evals.put(name, start.evaluate(name, model, evaluation, work)));
    Path dsftAnswers = RecipeStart.answers(evals.get("dsft"));
    List<QuickstartResults.Row> rows = new ArrayList<>();
    for (String name : AlmostResults.MODELS) {
      PipelineResult e = evals.get(name);
      rows.add(new QuickstartResults.Row(name, judgeScore(e),
          HeldOutEvaluation.winRate(RecipeStart.answers(e), dsftAnswers)));
    }

    StageResult rm = run.stage("rm").orElseThrow();
    Path rewardModel = rm.artifact(Artifacts.REWARD_MODEL);
    RewardModelCheck.Summary check = RewardModelCheck.run(rewardModel, TrainedStages.MAX_LENGTH,
        rm.dir().resolve(WorldComparisons.HELD_OUT), judge, dir.resolve(RewardModelCheck.FILE));
    List<AlmostResults.Step> curve = curve(run, rl.kind(), models.get("almost-sft"), evals, rewardModel, evaluation,
        start, work);

    AlmostResults results = new AlmostResults(rows, WorldComparisons.Report.read(rm.dir()), check,
        new AlmostResults.Rlsf(rl.kind(), curve), Math.round((System.nanoTime() - t0) / 1e9));
    Path file = results.write(work);
    Path chart = QuickstartCharts.rlsfCurves(rl.kind(), RecipeStart.metrics(run, rl.kind()), curve, work);
    out.println();
    out.print(results.table());
    out.println("Results: " + file);
    out.println("Chart: " + chart);
    return results;
  }

  /**
   * The RL policy's judge and reward-model scores on the held-out prompts: the SFT model as update 0, every
   * checkpoint before the last update (evaluated as {@code eval/almost-<kind>-step-N}), the final model last.
   */
  private List<AlmostResults.Step> curve(PipelineResult run, String kind, Path sftModel,
      Map<String, PipelineResult> evals, Path rewardModel, HeldOutEvaluation evaluation, RecipeStart start, Path work)
      throws Exception {
    StageResult rl = run.stage(kind).orElseThrow();
    long updates = Math.round(rl.metrics().getOrDefault("global_step", 0.0));
    Map<Long, PipelineResult> points = new LinkedHashMap<>();
    points.put(0L, evals.get("almost-sft"));
    for (PolicyCheckpoints.Step step : PolicyCheckpoints.export(rl.dir().resolve(StageContext.RUN_DIR), sftModel,
        work.resolve("almost").resolve(kind + "-steps"))) {
      if (step.step() < updates) {
        points.put(step.step(), start.evaluate("almost-" + kind + "-step-" + step.step(), step.model(), evaluation,
            work));
      }
    }
    points.put(updates, evals.get("almost-rlsf"));
    List<AlmostResults.Step> curve = new ArrayList<>();
    try (LocalRewardModel rm = LocalRewardModel.open(rewardModel, TrainedStages.MAX_LENGTH)) {
      for (Map.Entry<Long, PipelineResult> p : points.entrySet()) {
        List<HeldOutEvaluation.Answer> answers =
            Jsonl.readAll(RecipeStart.answers(p.getValue()), HeldOutEvaluation.Answer.class);
        List<List<Message>> conversations = answers.stream()
            .map(a -> List.of(Message.user(a.prompt()), Message.assistant(a.answer()))).toList();
        double reward = java.util.Arrays.stream(rm.score(conversations)).average().orElse(Double.NaN);
        curve.add(new AlmostResults.Step(p.getKey(), judgeScore(p.getValue()), reward));
      }
    }
    return curve;
  }

  private static double judgeScore(PipelineResult eval) {
    return eval.metrics("eval").getOrDefault("judge_score", Double.NaN);
  }

  /** The first training prompts answered in house style, as alternating user and assistant turns. */
  private List<Message> demonstrations() {
    List<Message> m = new ArrayList<>();
    for (Task t : world.prompts().sft().subList(0, DEMONSTRATIONS)) {
      m.add(Message.user(t.prompt()));
      m.add(Message.assistant(InstructionWorld.respond(t.answer())));
    }
    return m;
  }
}
