package dev.zephyr.cli;

import dev.zephyr.train.loop.Trainer;
import dev.zephyr.train.recipe.RlRecipes;
import dev.zephyr.train.recipe.RlRuns;
import dev.zephyr.train.rl.PpoConfig;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code zephyr ppo --config FILE.yaml}: PPO against a reward model, from a recipe with TRL's PPOConfig keys. */
@Command(name = "ppo", mixinStandardHelpOptions = true,
    description = "PPO (RLSF) of a policy against a reward model, from a YAML recipe with TRL PPOConfig keys.")
public final class PpoCommand implements Callable<Integer> {
  @Option(names = "--config", required = true, paramLabel = "FILE.yaml",
      description = "recipe YAML (model_name_or_path, reward_model_path, dataset_path, output_dir, kl_coef, ...;"
          + " keys below)")
  Path config;

  @Mixin AllowConfigChangeOption allowConfigChange;

  @Mixin DeviceOption device;

  @Spec
  void listRecipeKeys(CommandSpec spec) {
    RecipeKeysHelp.addTo(spec, RlRecipes.ppoKeys());
  }

  @Override
  public Integer call() {
    PpoConfig c = RlRecipes.loadPpo(config);
    c = c.withTraining(device.applyTo(allowConfigChange.applyTo(c.training())));
    Trainer.TrainResult r = RlRuns.ppo(c);
    System.err.printf("ppo done: %d updates, objective/scores %.4f, %.1f s; model in %s%n", r.globalStep(),
        r.lastLogged().getOrDefault("objective/scores", Double.NaN), r.seconds(), c.outputDir());
    return 0;
  }
}
