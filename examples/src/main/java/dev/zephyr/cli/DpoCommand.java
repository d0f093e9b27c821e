package dev.zephyr.cli;

import dev.zephyr.core.ZephyrException;
import dev.zephyr.train.loop.Trainer;
import dev.zephyr.train.recipe.DpoConfig;
import dev.zephyr.train.recipe.Recipes;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code zephyr dpo --config FILE.yaml}: direct preference optimisation from an alignment-handbook style recipe. */
@Command(name = "dpo", mixinStandardHelpOptions = true,
    description = "DPO (dDPO) from a YAML recipe with alignment-handbook / TRL keys.")
public final class DpoCommand implements Callable<Integer> {
  @Option(names = "--config", required = true, description = "recipe YAML (model_name_or_path, dataset_path, beta...)")
  Path config;

  @Override
  public Integer call() {
    try {
      DpoConfig c = Recipes.loadDpo(config);
      Trainer.TrainResult r = dev.zephyr.train.recipe.TrainingRuns.dpo(c);
      System.err.printf("dpo done: %d steps, train loss %.4f, %.1f s; model in %s%n", r.globalStep(),
          r.trainLoss(), r.seconds(), c.outputDir());
      return 0;
    } catch (ZephyrException | java.io.UncheckedIOException | IllegalArgumentException e) {
      System.err.println("zephyr dpo: " + e.getMessage());
      return 1;
    }
  }
}
