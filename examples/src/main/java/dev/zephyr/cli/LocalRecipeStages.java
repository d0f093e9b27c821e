package dev.zephyr.cli;

import dev.zephyr.core.ZephyrException;
import dev.zephyr.core.chat.ChatModel;
import dev.zephyr.core.eval.Evaluation;
import dev.zephyr.quickstart.TrainedStages;
import dev.zephyr.train.loop.Trainer;
import dev.zephyr.train.pipeline.BestOfNStage;
import dev.zephyr.train.pipeline.DpoStage;
import dev.zephyr.train.pipeline.FeedbackStage;
import dev.zephyr.train.pipeline.ModelLoader;
import dev.zephyr.train.pipeline.RecipeStages;
import dev.zephyr.train.pipeline.RewardModelStage;
import dev.zephyr.train.pipeline.SftStage;
import dev.zephyr.train.pipeline.StageContext;
import dev.zephyr.train.recipe.DpoConfig;
import dev.zephyr.train.recipe.AifRun;
import dev.zephyr.train.recipe.Recipes;
import dev.zephyr.train.recipe.RewardConfig;
import dev.zephyr.train.recipe.RewardRun;
import dev.zephyr.train.recipe.SftConfig;
import dev.zephyr.train.recipe.TrainingRuns;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The stages {@code zephyr pipeline --config recipe.yaml} runs: a stage's options are read with exactly the key
 * handling of {@code zephyr sft|dpo --config} ({@link Recipes}), trained by {@link TrainingRuns}, evaluated with
 * zephyr-eval's MT-Bench and AlpacaEval ({@link RecipeEvaluations}), and models are opened as the CLI's local chat
 * model. Each trained model is the clean Hugging Face directory {@code <stage dir>/model} (the recipe's
 * {@code output_dir}); its checkpoints, {@code metrics.jsonl} and reference cache lie in {@code <stage dir>/run}
 * ({@code run_dir}), so an interrupted stage resumes from its newest checkpoint there.
 *
 * <p>AI feedback ({@code aif} with pool and judge settings) runs {@code zephyr aif}'s job ({@link AifRun}).
 * Not wired: the ALMoST reward-model and best-of-N stages; they fail while the pipeline is planned, before anything
 * runs, and say what to use instead.
 */
public final class LocalRecipeStages implements RecipeStages {
  /** Keys this class sets itself: the model, data and output directory come from the pipeline. */
  private static final List<String> PIPELINE_KEYS =
      List.of("model_name_or_path", "dataset_path", "dataset_name", "dataset_mixture", "output_dir", "run_dir");
  /** Says how to resume, not what to compute: kept out of the stage's fingerprint, so setting it never reruns it. */
  private static final String ALLOW_CONFIG_CHANGE = "allow_config_change";

  private final boolean allowConfigChange;

  /** The stages as {@code zephyr pipeline} runs them. */
  public LocalRecipeStages() {
    this(false);
  }

  private LocalRecipeStages(boolean allowConfigChange) {
    this.allowConfigChange = allowConfigChange;
  }

  /**
   * The same stages, whose trainers resume from a checkpoint written with other hyper-parameters, with a warning
   * ({@code zephyr pipeline --allow-config-change}).
   */
  public LocalRecipeStages allowingConfigChange() {
    return new LocalRecipeStages(true);
  }

  @Override
  public SftStage sft(Map<String, Object> options) {
    rejectPipelineKeys("sft", options);
    // read once now so that a bad key fails while the pipeline is planned, not hours into a run
    sftConfig(options, Path.of("model"), Path.of("dataset.jsonl"), Path.of("stage"), 0);
    return new SftStage() {
      @Override
      public Map<String, Object> config() {
        return fingerprinted(options);
      }

      @Override
      public Path train(Path model, Path dataset, StageContext ctx) {
        SftConfig c = sftConfig(options, model, dataset, ctx.dir(), ctx.seed());
        if (allowConfigChange) {
          c = c.withTraining(c.training().toBuilder().allowConfigChange(true).build());
        }
        record(ctx, TrainingRuns.sft(c, ctx.progress()));
        return c.outputDir();
      }
    };
  }

  @Override
  public DpoStage dpo(Map<String, Object> options) {
    rejectPipelineKeys("ddpo", options);
    dpoConfig(options, Path.of("model"), Path.of("preferences.jsonl"), Path.of("stage"), 0);
    return new DpoStage() {
      @Override
      public Map<String, Object> config() {
        return fingerprinted(options);
      }

      @Override
      public Path train(Path model, Path preferences, StageContext ctx) {
        DpoConfig c = dpoConfig(options, model, preferences, ctx.dir(), ctx.seed());
        if (allowConfigChange) {
          c = c.withTraining(c.training().toBuilder().allowConfigChange(true).build());
        }
        Trainer.TrainResult r = TrainingRuns.dpo(c, ctx.progress());
        record(ctx, r);
        for (String key : List.of("rewards/accuracies", "rewards/margins")) {
          ctx.metric(key, r.lastLogged().getOrDefault(key, Double.NaN));
        }
        return c.outputDir();
      }
    };
  }

  /** The trainer's summary as stage metrics, under transformers' names. */
  private static void record(StageContext ctx, Trainer.TrainResult r) {
    ctx.metric("train_loss", r.trainLoss());
    ctx.metric("train_runtime", r.seconds());
    ctx.metric("global_step", r.globalStep());
  }

  /**
   * The SFT run of a recipe stage: {@code options} under the names {@code zephyr sft --config} reads, plus the
   * pipeline's model and dataset, {@code output_dir} = {@code stageDir/model} and {@code run_dir} =
   * {@code stageDir/run}; the pipeline seed unless the stage sets {@code seed}.
   */
  static SftConfig sftConfig(Map<String, Object> options, Path model, Path dataset, Path stageDir, long seed) {
    return Recipes.sft(withRun(options, model, dataset, stageDir, seed), "recipe stage sft/dsft");
  }

  /** The DPO run of a recipe stage; see {@link #sftConfig}. */
  static DpoConfig dpoConfig(Map<String, Object> options, Path model, Path preferences, Path stageDir, long seed) {
    return Recipes.dpo(withRun(options, model, preferences, stageDir, seed), "recipe stage ddpo");
  }

  private static Map<String, Object> withRun(Map<String, Object> options, Path model, Path data, Path stageDir,
      long seed) {
    Map<String, Object> o = new LinkedHashMap<>(options);
    o.put("model_name_or_path", model.toString());
    o.put("dataset_path", data.toString());
    o.put("output_dir", stageDir.resolve(StageContext.MODEL_DIR).toString());
    o.put("run_dir", stageDir.resolve(StageContext.RUN_DIR).toString());
    o.putIfAbsent("seed", seed);
    return o;
  }

  /** A training stage's options as its fingerprint sees them: without {@code allow_config_change}. */
  private static Map<String, Object> fingerprinted(Map<String, Object> options) {
    if (!options.containsKey(ALLOW_CONFIG_CHANGE)) {
      return options;
    }
    Map<String, Object> o = new LinkedHashMap<>(options);
    o.remove(ALLOW_CONFIG_CHANGE);
    return o;
  }

  private static void rejectPipelineKeys(String kind, Map<String, Object> options) {
    for (String k : PIPELINE_KEYS) {
      if (options.containsKey(k)) {
        throw new ZephyrException("recipe stage " + kind + ": '" + k + "' is set by the pipeline (the model comes from"
            + " the previous stage or 'student', data from 'dataset'/'preferences', output under the work dir);"
            + " remove it");
      }
    }
  }

  @Override
  public FeedbackStage feedback(Map<String, Object> options) {
    // paths in the options are already resolved against the recipe's directory
    return AifRun.fromOptions(options, "recipe stage aif", Path.of("").toAbsolutePath());
  }

  @Override
  public RewardModelStage rewardModel(Map<String, Object> options) {
    rejectPipelineKeys("rm", options);
    // the pipeline's model, comparisons and directories stand in for the keys it owns: checked now, replaced at run
    RewardConfig c = Recipes.reward(withRun(options, Path.of("model"), Path.of("comparisons.jsonl"), Path.of("stage"),
        0), "recipe stage rm");
    return new RewardRun(c);
  }

  @Override
  public BestOfNStage bestOfN(Map<String, Object> options) {
    throw new ZephyrException("recipe stage bon: best-of-N demonstrations are not wired in the CLI; generate them"
        + " yourself and start an sft/dsft stage from them with `dsft: {dataset: FILE.jsonl}`, or use"
        + " Pipeline.bestOfN(...) from Java");
  }

  @Override
  public Evaluation evaluation(String name, Map<String, Object> options) {
    return RecipeEvaluations.of(name, options);
  }

  @Override
  public ModelLoader loader() {
    return LocalRecipeStages::open;
  }

  /** A stage's model directory as the CLI's local chat model, named {@code <stage>/<dir>} (e.g. 03-ddpo/model). */
  static ChatModel open(Path modelDir) {
    Path abs = modelDir.toAbsolutePath().normalize();
    String name = abs.getParent() == null ? abs.getFileName().toString()
        : abs.getParent().getFileName() + "/" + abs.getFileName();
    return ChatModels.underTest(name, null, abs, null, null);
  }
}
