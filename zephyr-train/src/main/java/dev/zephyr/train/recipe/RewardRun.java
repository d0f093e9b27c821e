package dev.zephyr.train.recipe;

import dev.zephyr.train.pipeline.RewardModelStage;
import dev.zephyr.train.pipeline.StageContext;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The ready reward-model stage (ALMoST step 1, TRL's RewardTrainer): trains a Bradley-Terry reward model initialised
 * from the pipeline's current model on the stage's comparisons with {@link TrainingRuns#reward}, from the
 * hyper-parameters of a {@link RewardConfig} (its model, datasets, output directory and seed are replaced by the
 * pipeline's). The trainer works in {@code <stage dir>/run}; the reward model, in Hugging Face's
 * sequence-classification layout ({@code score.weight}) with the tokenizer, is {@code <stage dir>/model}. The stage's
 * metrics are the trainer's final ones ({@code accuracy}, {@code margin}, {@code mean_reward}... as TRL logs them,
 * and with evaluation pairs {@code eval_loss}, {@code eval_accuracy}, {@code eval_margin}...).
 *
 * <pre>{@code
 * RewardConfig.Builder rm = RewardConfig.builder().maxLength(512).centerRewardsCoefficient(0.01);
 * Pipeline.empty().then(RewardModeling.of(new RewardRun(rm.build())).fromComparisons(comparisons))...
 * }</pre>
 */
public final class RewardRun implements RewardModelStage {
  private final RewardConfig settings;
  private final boolean ownSeed;

  public RewardRun(RewardConfig settings) {
    this(settings, false);
  }

  private RewardRun(RewardConfig settings, boolean ownSeed) {
    this.settings = Objects.requireNonNull(settings, "settings");
    this.ownSeed = ownSeed;
  }

  /** The same stage training with its settings' own {@code seed} instead of the pipeline's. */
  public RewardRun withOwnSeed() {
    return new RewardRun(settings, true);
  }

  /** The hyper-parameters this stage trains with. */
  public RewardConfig settings() {
    return settings;
  }

  @Override
  public Map<String, Object> config() {
    Map<String, Object> c = new LinkedHashMap<>();
    c.putAll(settings.taskKeys());
    c.putAll(settings.evalData().keys());
    c.putAll(settings.training().hfKeys());
    if (!ownSeed) {
      c.remove("seed"); // the pipeline's seed, which the manifest records, is the one used
    }
    return c;
  }

  @Override
  public Path train(Path model, Path comparisons, StageContext ctx) {
    RewardConfig run = new RewardConfig(model, List.of(comparisons), settings.maxLength(),
        settings.centerRewardsCoefficient(), ctx.modelDir(),
        settings.training().toBuilder().outputDir(ctx.runDir())
        .seed(ownSeed ? settings.training().seed() : ctx.seed()).build(), settings.evalData());
    ctx.metrics(SftRun.finalMetrics(TrainingRuns.reward(run, ctx.progress())));
    return ctx.modelDir();
  }
}
