package dev.zephyr.cli;

import dev.zephyr.train.loop.Trainer;
import dev.zephyr.train.recipe.RlRecipes;
import dev.zephyr.train.recipe.RlRuns;
import dev.zephyr.train.rl.RlooConfig;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code zephyr rloo --config FILE.yaml}: RLOO against a reward model, from a recipe with TRL's RLOOConfig keys. */
@Command(name = "rloo", mixinStandardHelpOptions = true,
    description = "RLOO (REINFORCE leave-one-out, RLSF) of a policy against a reward model, from a YAML recipe"
        + " with TRL RLOOConfig keys.")
public final class RlooCommand implements Callable<Integer> {
  @Option(names = "--config", required = true, paramLabel = "FILE.yaml",
      description = "recipe YAML (model_name_or_path, reward_model_path, dataset_path, output_dir, rloo_k, ...;"
          + " keys below)")
  Path config;

  @Mixin AllowConfigChangeOption allowConfigChange;

  @Mixin DeviceOption device;

  @Spec
  void listRecipeKeys(CommandSpec spec) {
    RecipeKeysHelp.addTo(spec, RlRecipes.rlooKeys());
  }

  @Override
  public Integer call() {
    RlooConfig c = RlRecipes.loadRloo(config);
    c = c.withTraining(device.applyTo(allowConfigChange.applyTo(c.training())));
    Trainer.TrainResult r = RlRuns.rloo(c);
    System.err.printf("rloo done: %d updates, objective/scores %.4f, %.1f s; model in %s%n", r.globalStep(),
        r.lastLogged().getOrDefault("objective/scores", Double.NaN), r.seconds(), c.outputDir());
    return 0;
  }
}
