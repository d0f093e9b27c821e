package dev.zephyr.train.recipe;

import dev.zephyr.train.data.DatasetMixture;
import dev.zephyr.train.pipeline.DpoStage;
import dev.zephyr.train.pipeline.StageContext;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The ready DPO stage: trains the pipeline's current model on the stage's preference pairs with
 * {@link TrainingRuns#dpo}, the same model frozen as the reference (or its cached log-probs, with
 * {@code precompute_ref_log_probs}), from the hyper-parameters of a {@link DpoConfig} (its model, datasets, output
 * directory and seed are replaced by the pipeline's; a {@code ref_model_name_or_path} is kept). The trainer works in
 * {@code <stage dir>/run} and the aligned model is {@code <stage dir>/model}; the stage's metrics are the trainer's final ones, TRL's {@code rewards/accuracies} and
 * {@code rewards/margins} among them.
 */
public final class DpoRun implements DpoStage {
  private final DpoConfig settings;
  private final boolean ownSeed;

  public DpoRun(DpoConfig settings) {
    this(settings, false);
  }

  private DpoRun(DpoConfig settings, boolean ownSeed) {
    this.settings = Objects.requireNonNull(settings, "settings");
    this.ownSeed = ownSeed;
  }

  /** The same stage training with its settings' own {@code seed} instead of the pipeline's. */
  public DpoRun withOwnSeed() {
    return new DpoRun(settings, true);
  }

  /** The hyper-parameters this stage trains with. */
  public DpoConfig settings() {
    return settings;
  }

  @Override
  public Map<String, Object> config() {
    Map<String, Object> c = new LinkedHashMap<>();
    c.putAll(settings.taskKeys());
    c.putAll(settings.evalData().keys());
    c.put("precompute_ref_log_probs", settings.precomputeRefLogProbs());
    c.put("pairs_per_forward", settings.pairsPerForward());
    if (settings.refModelNameOrPath() != null) {
      c.put("ref_model_name_or_path", settings.refModelNameOrPath().toString());
    }
    c.putAll(settings.training().hfKeys());
    if (!ownSeed) {
      c.remove("seed"); // the pipeline's seed, which the manifest records, is the one used
    }
    return c;
  }

  @Override
  public Path train(Path model, Path preferences, StageContext ctx) {
    Path out = Adapted.stageOutput(settings.lora(), ctx);
    DpoConfig run = new DpoConfig(model, settings.refModelNameOrPath(), DatasetMixture.ofFiles(List.of(preferences)),
        settings.loss(), settings.maxLength(), settings.precomputeRefLogProbs(), settings.pairsPerForward(), out,
        settings.training().toBuilder().outputDir(ctx.runDir())
        .seed(ownSeed ? settings.training().seed() : ctx.seed()).build(), settings.evalData(), settings.lora());
    ctx.metrics(SftRun.finalMetrics(TrainingRuns.dpo(run, ctx.progress())));
    return Adapted.mergeForNextStage(model, out, ctx);
  }
}
