package dev.zephyr.cli;

import dev.zephyr.train.loop.Trainer;
import dev.zephyr.train.recipe.Recipes;
import dev.zephyr.train.recipe.RewardConfig;
import dev.zephyr.train.recipe.TrainingRuns;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code zephyr rm --config FILE.yaml}: a Bradley-Terry reward model from a recipe with TRL RewardConfig keys. */
@Command(name = "rm", mixinStandardHelpOptions = true,
    description = "Reward-model training (TRL RewardTrainer) from a YAML recipe with TRL / alignment-handbook keys.")
public final class RmCommand implements Callable<Integer> {
  @Option(names = "--config", required = true, paramLabel = "FILE.yaml",
      description = "recipe YAML (model_name_or_path, dataset_path of comparisons, output_dir, ...; keys below)")
  Path config;

  @Mixin AllowConfigChangeOption allowConfigChange;

  @Mixin DeviceOption device;

  @Spec
  void listRecipeKeys(CommandSpec spec) {
    RecipeKeysHelp.addTo(spec, Recipes.rewardKeys());
  }

  @Override
  public Integer call() {
    RewardConfig c = Recipes.loadReward(config);
    c = c.withTraining(device.applyTo(allowConfigChange.applyTo(c.training())));
    Trainer.TrainResult r = TrainingRuns.reward(c);
    System.err.printf("rm done: %d steps, train loss %.4f, %.1f s; reward model in %s%n", r.globalStep(),
        r.trainLoss(), r.seconds(), c.outputDir());
    return 0;
  }
}
