package dev.zephyr.cli;

import dev.zephyr.core.ZephyrException;
import dev.zephyr.train.loop.Trainer;
import dev.zephyr.train.recipe.Recipes;
import dev.zephyr.train.recipe.SftConfig;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code zephyr sft --config FILE.yaml}: supervised fine-tuning from an alignment-handbook style recipe. */
@Command(name = "sft", mixinStandardHelpOptions = true,
    description = "Supervised fine-tuning (dSFT) from a YAML recipe with alignment-handbook / TRL keys.")
public final class SftCommand implements Callable<Integer> {
  @Option(names = "--config", required = true, description = "recipe YAML (model_name_or_path, dataset_path, ...)")
  Path config;

  @Override
  public Integer call() {
    try {
      SftConfig c = Recipes.loadSft(config);
      Trainer.TrainResult r = dev.zephyr.train.recipe.TrainingRuns.sft(c);
      System.err.printf("sft done: %d steps, train loss %.4f, %d tokens, %.1f s; model in %s%n", r.globalStep(),
          r.trainLoss(), r.numTokens(), r.seconds(), c.outputDir());
      return 0;
    } catch (ZephyrException | java.io.UncheckedIOException e) {
      System.err.println("zephyr sft: " + e.getMessage());
      return 1;
    }
  }
}
