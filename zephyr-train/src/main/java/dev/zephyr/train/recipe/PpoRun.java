package dev.zephyr.train.recipe;

import dev.zephyr.train.pipeline.RlsfStage;
import dev.zephyr.train.pipeline.StageContext;
import dev.zephyr.train.rl.PpoConfig;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The ready PPO stage: {@link RlRuns#ppo} with the hyper-parameters of a {@link PpoConfig}, whose policy, reward
 * model, prompts, output directory and seed are replaced by the pipeline's. The trainer works in
 * {@code <stage dir>/run}; the trained policy is {@code <stage dir>/model} (with {@code use_peft} the adapter is
 * written to {@code <stage dir>/run/adapter} and merged into {@code model} for the next stage, as SFT and DPO do).
 * The stage's metrics are the last update's ({@code objective/scores}, {@code objective/kl}...) with
 * {@code train_runtime} and {@code global_step}.
 */
public final class PpoRun implements RlsfStage {
  private final PpoConfig settings;

  public PpoRun(PpoConfig settings) {
    this.settings = Objects.requireNonNull(settings, "settings");
  }

  public PpoConfig settings() {
    return settings;
  }

  @Override
  public String kind() {
    return "ppo";
  }

  @Override
  public Map<String, Object> config() {
    Map<String, Object> c = new LinkedHashMap<>(settings.taskKeys());
    c.putAll(settings.training().hfKeys());
    c.remove("seed"); // the pipeline's seed, recorded in the manifest, is the one used
    return c;
  }

  @Override
  public Path train(Path policy, Path rewardModel, Path prompts, StageContext ctx) {
    Path out = Adapted.stageOutput(settings.lora(), ctx);
    PpoConfig run = new PpoConfig(policy, rewardModel, settings.valueModelPath(), List.of(prompts), out,
        settings.onPolicy(), settings.vfCoef(), settings.cliprangeValue(), settings.gamma(), settings.lam(),
        settings.klEstimator(), settings.whitenRewards(), settings.adaptiveKl(),
        settings.training().toBuilder().outputDir(ctx.runDir()).seed(ctx.seed()).build(), settings.lora());
    ctx.metrics(SftRun.finalMetrics(RlRuns.ppo(run, ctx.progress())));
    return Adapted.mergeForNextStage(policy, out, ctx);
  }
}
