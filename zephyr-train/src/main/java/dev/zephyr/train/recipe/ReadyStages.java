package dev.zephyr.train.recipe;

import dev.zephyr.core.device.Devices;
import dev.zephyr.core.eval.Evaluation;
import dev.zephyr.train.pipeline.BestOfNStage;
import dev.zephyr.train.pipeline.DpoStage;
import dev.zephyr.train.pipeline.FeedbackStage;
import dev.zephyr.train.pipeline.ModelLoader;
import dev.zephyr.train.pipeline.RecipeStages;
import dev.zephyr.train.pipeline.RewardModelStage;
import dev.zephyr.train.pipeline.RlsfStage;
import dev.zephyr.train.pipeline.SftStage;
import dev.zephyr.train.rl.PpoConfig;
import dev.zephyr.train.rl.RlooConfig;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A recipe's stages as the library's ready stages: each stage's options are bound once, when the pipeline is
 * planned, into its config record ({@link Recipes#sftStage}, {@link Recipes#dpoStage}, {@link Recipes#rewardStage},
 * {@link AifRun#fromOptions}, {@link BestOfNConfig#fromOptions}), so a bad key fails before anything runs and the
 * stage trains with exactly what was checked. Relative paths in the options resolve against the recipe's directory.
 * A stage that sets {@code seed} keeps it; the others take the pipeline's.
 *
 * <p>Evaluations live in zephyr-eval, which training does not depend on: they come from the {@link Evaluations}
 * given here (zephyr-eval's {@code Evaluations::of}), and models are opened for them with the given loader.
 */
public final class ReadyStages implements RecipeStages {
  /** Builds a recipe's evaluation by name ({@code mt_bench}, {@code alpaca_eval}...) from its options. */
  @FunctionalInterface
  public interface Evaluations {
    /** @param baseDir the recipe's directory, which relative paths in {@code options} are relative to */
    Evaluation of(String name, Map<String, Object> options, Path baseDir);
  }

  private final Path baseDir;
  private final Evaluations evaluations;
  private final ModelLoader loader;
  private final boolean allowConfigChange;

  /**
   * @param baseDir the recipe's directory
   * @param evaluations how {@code evaluate} stages are built
   * @param loader how evaluations open model directories
   */
  public ReadyStages(Path baseDir, Evaluations evaluations, ModelLoader loader) {
    this(baseDir, evaluations, loader, false);
  }

  private ReadyStages(Path baseDir, Evaluations evaluations, ModelLoader loader, boolean allowConfigChange) {
    this.baseDir = Objects.requireNonNull(baseDir, "baseDir");
    this.evaluations = Objects.requireNonNull(evaluations, "evaluations");
    this.loader = Objects.requireNonNull(loader, "loader");
    this.allowConfigChange = allowConfigChange;
  }

  /**
   * The same stages, whose trainers resume from a checkpoint written with other hyper-parameters, with a warning
   * ({@code zephyr pipeline --allow-config-change}). It says how to resume, not what to compute, so it is no part of
   * a stage's recorded configuration.
   */
  public ReadyStages allowingConfigChange() {
    return new ReadyStages(baseDir, evaluations, loader, true);
  }

  @Override
  public SftStage sft(Map<String, Object> options) {
    SftConfig c = Recipes.sftStage(withEvalPaths(options), "recipe stage sft/dsft");
    SftRun run = new SftRun(allowConfigChange ? c.withTraining(c.training().toBuilder().allowConfigChange(true)
        .build()) : c);
    return options.containsKey("seed") ? run.withOwnSeed() : run;
  }

  @Override
  public DpoStage dpo(Map<String, Object> options) {
    Map<String, Object> o = new LinkedHashMap<>(options);
    // a reference model named in the recipe is a path like any other: relative to the recipe's directory
    if (o.get("ref_model_name_or_path") instanceof String ref) {
      o.put("ref_model_name_or_path", baseDir.resolve(ref).normalize().toString());
    }
    DpoConfig c = Recipes.dpoStage(withEvalPaths(o), "recipe stage ddpo");
    DpoRun run = new DpoRun(allowConfigChange ? c.withTraining(c.training().toBuilder().allowConfigChange(true)
        .build()) : c);
    return options.containsKey("seed") ? run.withOwnSeed() : run;
  }

  /** {@code eval_dataset_path} (a path or a list of paths) relative to the recipe's directory, like the stage data. */
  private Map<String, Object> withEvalPaths(Map<String, Object> options) {
    Object eval = options.get("eval_dataset_path");
    if (!(eval instanceof String) && !(eval instanceof java.util.List<?>)) {
      return options;
    }
    Map<String, Object> o = new LinkedHashMap<>(options);
    o.put("eval_dataset_path", eval instanceof String f ? resolved(f) : ((java.util.List<?>) eval).stream()
        .map(f -> f instanceof String p ? resolved(p) : f).toList());
    return o;
  }

  private String resolved(String path) {
    return baseDir.resolve(path).normalize().toString();
  }

  @Override
  public RewardModelStage rewardModel(Map<String, Object> options) {
    RewardConfig c = Recipes.rewardStage(withEvalPaths(options), "recipe stage rm");
    RewardRun run = new RewardRun(allowConfigChange ? c.withTraining(c.training().toBuilder()
        .allowConfigChange(true).build()) : c);
    return options.containsKey("seed") ? run.withOwnSeed() : run;
  }

  @Override
  public FeedbackStage feedback(Map<String, Object> options) {
    return AifRun.fromOptions(options, "recipe stage aif", baseDir);
  }

  @Override
  public BestOfNStage bestOfN(Map<String, Object> options) {
    Map<String, Object> selfPlay = new LinkedHashMap<>(options);
    Object device = selfPlay.remove("device");
    return new BestOfNRun(BestOfNConfig.fromOptions(selfPlay, "recipe stage rmsp/bon", baseDir),
        device == null ? null : Devices.syntax(device.toString(), "recipe stage rmsp/bon", "device"));
  }

  @Override
  public RlsfStage rlsf(String kind, Map<String, Object> options) {
    String source = "recipe stage " + kind;
    return switch (kind) {
      case "ppo" -> {
        PpoConfig c = RlRecipes.ppoStage(options, source);
        yield new PpoRun(allowConfigChange ? c.withTraining(c.training().toBuilder().allowConfigChange(true).build())
            : c);
      }
      case "rloo" -> {
        RlooConfig c = RlRecipes.rlooStage(options, source);
        yield new RlooRun(allowConfigChange ? c.withTraining(c.training().toBuilder().allowConfigChange(true)
            .build()) : c);
      }
      default -> throw new IllegalArgumentException("not an RLSF stage kind: " + kind);
    };
  }

  @Override
  public Evaluation evaluation(String name, Map<String, Object> options) {
    return evaluations.of(name, options, baseDir);
  }

  @Override
  public ModelLoader loader() {
    return loader;
  }
}
