package dev.zephyr.train.recipe;

import dev.zephyr.core.model.lora.LoraConfig;
import dev.zephyr.core.progress.Progress;
import dev.zephyr.train.rl.OnPolicyConfig;
import dev.zephyr.train.rl.PpoConfig;
import dev.zephyr.train.rl.RlooConfig;
import java.nio.file.Path;
import java.util.List;

/**
 * A PPO or RLOO child process for the kill-and-resume test:
 * {@code RlKillRun ppo|rloo POLICY REWARD_MODEL PROMPTS OUTPUT_DIR RUN_DIR SLEEP_MS [lora]}. Runs {@link RlRuns} for
 * {@link #UPDATES} updates with a checkpoint every 2 (resuming from RUN_DIR's newest), pausing SLEEP_MS after each
 * update so that the parent can kill it mid-run. PPO runs with the adaptive KL controller, whose coefficient is
 * checkpointed state; sample generations are written after updates 1 and 3. With {@code lora} the policy trains
 * LoRA adapters (and PPO's critic adapters of its own and its head).
 */
public final class RlKillRun {
  static final int UPDATES = 4;

  public static void main(String[] a) {
    OnPolicyConfig rollouts = OnPolicyConfig.defaults().withResponseLength(5).withTemperature(1.0)
        .withNumMiniBatches(2).withNumPpoEpochs(2).withMissingEosPenalty(0.5).withNumSampleGenerations(2);
    LoraConfig lora = a.length > 7 && a[7].equals("lora") ? LoraConfig.of(4, 8) : null;
    long sleepMs = Long.parseLong(a[6]);
    Progress pausing = (task, unit, total, done) -> (units, tokens) -> {
      if (task.equals("train") && sleepMs > 0) {
        try {
          Thread.sleep(sleepMs);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    };
    if (a[0].equals("ppo")) {
      PpoConfig.Builder b = PpoConfig.builder(Path.of(a[4])).modelNameOrPath(Path.of(a[1]))
          .rewardModelPath(Path.of(a[2])).datasets(List.of(Path.of(a[3]))).runDir(Path.of(a[5])).onPolicy(rollouts)
          .adaptiveKl(new PpoConfig.AdaptiveKl(6, 100)).lora(lora);
      b.training().learningRate(1e-3).perDeviceTrainBatchSize(2).maxSteps(UPDATES).saveSteps(2).saveTotalLimit(2)
          .seed(3).perDeviceEvalBatchSize(3);
      RlRuns.ppo(b.build(), pausing);
    } else {
      RlooConfig.Builder b = RlooConfig.builder(Path.of(a[4])).modelNameOrPath(Path.of(a[1]))
          .rewardModelPath(Path.of(a[2])).datasets(List.of(Path.of(a[3]))).runDir(Path.of(a[5])).onPolicy(rollouts)
          .rlooK(2).lora(lora);
      b.training().learningRate(1e-3).perDeviceTrainBatchSize(2).maxSteps(UPDATES).saveSteps(2).saveTotalLimit(2)
          .seed(3).perDeviceEvalBatchSize(3);
      RlRuns.rloo(b.build(), pausing);
    }
    System.exit(0);
  }
}
