package dev.zephyr.cli;

import dev.zephyr.train.recipe.BestOfNRun;
import dev.zephyr.train.recipe.RmspConfig;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code zephyr rmsp --config FILE.yaml}: ALMoST's RM-guided self-play into SFT data ({@link RmspConfig}). */
@Command(name = "rmsp", mixinStandardHelpOptions = true,
    description = "RM-guided self-play (ALMoST step 2): the model answers each seed question best_of times per"
        + " turn, the reward model keeps the best; SFT data in the messages layout. A rerun resumes: seeds already"
        + " played are skipped.")
public final class RmspCommand implements Callable<Integer> {
  @Option(names = "--config", required = true, paramLabel = "FILE.yaml",
      description = "YAML with model_name_or_path, reward_model_path, output_dir, seed and the rmsp stage keys:"
          + " seeds, best_of, turns, temperature, top_p, max_new_tokens, demonstrations, shots, user_model,"
          + " max_length, reward_batch_size, device")
  Path config;

  @Mixin DeviceOption device;

  @Override
  public Integer call() throws Exception {
    RmspConfig c = RmspConfig.load(config);
    if (device.isSet()) {
      c = c.onDevice(device.resolve()); // --device wins over the file's device key
    }
    BestOfNRun.Played p = c.run().play(c.model(), c.rewardModel(), c.outputDir(), c.seed());
    System.err.printf("rmsp done: %d dialogues, mean reward of the kept turns %.4f; SFT data in %s%n",
        p.dialogues(), p.meanReward(), p.demonstrations());
    return 0;
  }
}
