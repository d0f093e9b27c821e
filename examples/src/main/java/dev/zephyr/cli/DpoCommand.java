package dev.zephyr.cli;

import dev.zephyr.train.loop.Trainer;
import dev.zephyr.train.recipe.DpoConfig;
import dev.zephyr.train.recipe.Recipes;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code zephyr dpo --config FILE.yaml}: direct preference optimisation from an alignment-handbook style recipe. */
@Command(name = "dpo", mixinStandardHelpOptions = true,
    description = "DPO (dDPO) from a YAML recipe with alignment-handbook / TRL keys.")
public final class DpoCommand implements Callable<Integer> {
  @Option(names = "--config", required = true, paramLabel = "FILE.yaml",
      description = "recipe YAML (model_name_or_path, dataset_path, output_dir, beta, ...; keys below)")
  Path config;

  @Mixin AllowConfigChangeOption allowConfigChange;

  @Mixin DeviceOption device;

  @Spec
  void listRecipeKeys(CommandSpec spec) {
    RecipeKeysHelp.addTo(spec, Recipes.dpoKeys());
  }

  @Override
  public Integer call() {
    DpoConfig c = Recipes.loadDpo(config);
    c = c.withTraining(allowConfigChange.applyTo(c.training()));
    c = c.withTraining(device.applyTo(c.training()));
    Trainer.TrainResult r = dev.zephyr.train.recipe.TrainingRuns.dpo(c);
    System.err.printf("dpo done: %d steps, train loss %.4f, %d tokens, %.1f s; model in %s%n", r.globalStep(),
        r.trainLoss(), r.numTokens(), r.seconds(), c.outputDir());
    return 0;
  }
}
