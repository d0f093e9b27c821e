package dev.zephyr.train.recipe;

import dev.zephyr.train.pipeline.RlsfStage;
import dev.zephyr.train.pipeline.StageContext;
import dev.zephyr.train.rl.RlooConfig;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The ready RLOO stage: {@link RlRuns#rloo} with the hyper-parameters of an {@link RlooConfig}, whose policy, reward
 * model, prompts, output directory and seed are replaced by the pipeline's; laid out as {@link PpoRun}.
 */
public final class RlooRun implements RlsfStage {
  private final RlooConfig settings;

  public RlooRun(RlooConfig settings) {
    this.settings = Objects.requireNonNull(settings, "settings");
  }

  public RlooConfig settings() {
    return settings;
  }

  @Override
  public String kind() {
    return "rloo";
  }

  @Override
  public Map<String, Object> config() {
    Map<String, Object> c = new LinkedHashMap<>(settings.taskKeys());
    c.putAll(settings.training().hfKeys());
    c.remove("seed");
    return c;
  }

  @Override
  public Path train(Path policy, Path rewardModel, Path prompts, StageContext ctx) {
    Path out = Adapted.stageOutput(settings.lora(), ctx);
    RlooConfig run = new RlooConfig(policy, rewardModel, List.of(prompts), out, settings.onPolicy(),
        settings.rlooK(), settings.normalizeAdvantage(),
        settings.training().toBuilder().outputDir(ctx.runDir()).seed(ctx.seed()).build(), settings.lora());
    ctx.metrics(SftRun.finalMetrics(RlRuns.rloo(run, ctx.progress())));
    return Adapted.mergeForNextStage(policy, out, ctx);
  }
}
