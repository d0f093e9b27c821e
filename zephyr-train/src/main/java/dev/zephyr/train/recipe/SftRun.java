package dev.zephyr.train.recipe;

import dev.zephyr.train.data.DatasetMixture;
import dev.zephyr.train.loop.Trainer;
import dev.zephyr.train.pipeline.SftStage;
import dev.zephyr.train.pipeline.StageContext;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The ready SFT stage: trains the pipeline's student on the stage's dataset with {@link TrainingRuns#sft}, from the
 * hyper-parameters of an {@link SftConfig} (its model, datasets, output directory and seed are replaced by the
 * pipeline's). The trainer works in {@code <stage dir>/run} (checkpoints, {@code metrics.jsonl}) and the trained
 * model is {@code <stage dir>/model}; the trainer's final metrics (the last logged value of each, plus
 * {@code train_loss} and {@code train_runtime} as transformers reports them) become the stage's metrics.
 *
 * <pre>{@code
 * SftConfig.Builder sft = SftConfig.builder().maxLength(2048);
 * sft.training().learningRate(2e-5).numTrainEpochs(1);
 * Pipeline.dsft(Dsft.of(new SftRun(sft.build())).fromDataset(demonstrations))...
 * }</pre>
 */
public final class SftRun implements SftStage {
  private final SftConfig settings;
  private final boolean ownSeed;

  public SftRun(SftConfig settings) {
    this(settings, false);
  }

  private SftRun(SftConfig settings, boolean ownSeed) {
    this.settings = Objects.requireNonNull(settings, "settings");
    this.ownSeed = ownSeed;
  }

  /** The same stage training with its settings' own {@code seed} instead of the pipeline's. */
  public SftRun withOwnSeed() {
    return new SftRun(settings, true);
  }

  /** The hyper-parameters this stage trains with. */
  public SftConfig settings() {
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
  public Path train(Path model, Path dataset, StageContext ctx) {
    Path out = Adapted.stageOutput(settings.lora(), ctx);
    SftConfig run = new SftConfig(model, DatasetMixture.ofFiles(List.of(dataset)), settings.maxLength(),
        settings.packing(), settings.lossMode(), out, settings.training().toBuilder().outputDir(ctx.runDir())
        .seed(ownSeed ? settings.training().seed() : ctx.seed()).build(), settings.evalData(), settings.lora());
    ctx.metrics(finalMetrics(TrainingRuns.sft(run, ctx.progress())));
    return Adapted.mergeForNextStage(model, out, ctx);
  }

  /** What a finished trainer reports: every metric's last logged value, the mean loss, the wall time and the step. */
  static Map<String, Double> finalMetrics(Trainer.TrainResult r) {
    Map<String, Double> m = new LinkedHashMap<>(r.lastLogged());
    if (!Double.isNaN(r.trainLoss())) {
      m.put("train_loss", r.trainLoss());
    }
    m.put("train_runtime", r.seconds());
    m.put("global_step", (double) r.globalStep());
    return m;
  }
}
