package dev.zephyr.train.recipe;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import dev.zephyr.core.InvalidInputException;
import dev.zephyr.core.model.lora.AdaptedModel;
import dev.zephyr.core.progress.ConsoleProgress;
import dev.zephyr.core.progress.Progress;
import dev.zephyr.core.tokenizer.ChatTokenizer;
import dev.zephyr.core.tokenizer.Tokenizer;
import dev.zephyr.train.loop.Trainer;
import dev.zephyr.train.reward.RewardModel;
import dev.zephyr.train.rl.ModelReward;
import dev.zephyr.train.rl.PpoConfig;
import dev.zephyr.train.rl.PpoTrainer;
import dev.zephyr.train.rl.PromptData;
import dev.zephyr.train.rl.RlooConfig;
import dev.zephyr.train.rl.RlooTrainer;
import java.nio.file.Path;
import java.util.List;

/**
 * Runs PPO and RLOO recipes end to end: load the policy and its frozen reference ({@link RlPolicy}: a copy, or with
 * {@code use_peft} the same base with the adapters off), the reward model (and for PPO the value model), tokenise the
 * prompts with the policy's chat template, train in {@code run_dir} (a rerun resumes from its newest checkpoint), and
 * write the trained policy at {@code output_dir}: a Hugging Face directory, or with LoRA the adapter as PEFT saves it
 * ({@code adapter_config.json}, {@code adapter_model.safetensors}) with the tokenizer files.
 *
 * <p>Every array lives on the device of {@code device}
 * ({@link dev.zephyr.train.loop.TrainingArguments#deviceOrDefault()}), checked before anything loads. {@code run_dir} must not be {@code output_dir} or inside it ({@link RunDirs#check}).
 * The reward model scores token ids sampled with the policy's tokenizer, so its tokenizer files must be the same; a
 * reward or value model with other files is refused before anything is loaded.
 */
public final class RlRuns {
  private RlRuns() {}

  public static Trainer.TrainResult ppo(PpoConfig c) {
    return ppo(c, ConsoleProgress.stderr());
  }

  public static Trainer.TrainResult ppo(PpoConfig c, Progress progress) {
    Device device = c.training().deviceOrDefault(); // a device this machine lacks fails before anything loads
    c.training().warnBf16Unused("PPO");
    RunDirs.check(c.outputDir(), c.training().outputDir());
    TrainingRuns.requireReplaceable(c.outputDir());
    Path tokenizerDir = AdaptedModel.tokenizerDirOf(c.modelNameOrPath());
    requireSameTokenizer(tokenizerDir, c.rewardModelPath(), "reward_model_path");
    requireSameTokenizer(tokenizerDir, c.valueModelOrReward(), "value_model_path");
    Progress p = c.training().disableTqdm() ? Progress.NONE : progress;
    try (NDManager root = NDManager.newBaseManager(device);
        Tokenizer tokenizer = Tokenizer.load(tokenizerDir);
        RlPolicy models = RlPolicy.load(c.modelNameOrPath(), c.lora(), c.training(), root);
        RewardModel rewardModel = RewardModel.load(c.rewardModelPath(), root);
        RewardModel valueModel = RewardModel.load(c.valueModelOrReward(), root);
        RlPolicy.Critic critic = models.critic(valueModel, c.valueModelOrReward(), root)) {
      List<int[]> prompts = PromptData.load(c.datasets(), ChatTokenizer.of(tokenizer));
      ModelReward reward = new ModelReward(rewardModel, c.onPolicy().localRolloutForwardBatchSize());
      Trainer.TrainResult r;
      try (PpoTrainer t = new PpoTrainer(c, models.policy(), models.trainable(), models.reference(), critic.model(),
          critic.trainable(), reward, prompts)) {
        t.progress(p);
        t.decodeWith(ids -> tokenizer.decode(ids, false));
        r = t.train();
      }
      models.export(tokenizerDir, c.outputDir());
      return r;
    }
  }

  public static Trainer.TrainResult rloo(RlooConfig c) {
    return rloo(c, ConsoleProgress.stderr());
  }

  public static Trainer.TrainResult rloo(RlooConfig c, Progress progress) {
    Device device = c.training().deviceOrDefault(); // a device this machine lacks fails before anything loads
    c.training().warnBf16Unused("RLOO");
    RunDirs.check(c.outputDir(), c.training().outputDir());
    TrainingRuns.requireReplaceable(c.outputDir());
    Path tokenizerDir = AdaptedModel.tokenizerDirOf(c.modelNameOrPath());
    requireSameTokenizer(tokenizerDir, c.rewardModelPath(), "reward_model_path");
    Progress p = c.training().disableTqdm() ? Progress.NONE : progress;
    try (NDManager root = NDManager.newBaseManager(device);
        Tokenizer tokenizer = Tokenizer.load(tokenizerDir);
        RlPolicy models = RlPolicy.load(c.modelNameOrPath(), c.lora(), c.training(), root);
        RewardModel rewardModel = RewardModel.load(c.rewardModelPath(), root)) {
      List<int[]> prompts = PromptData.load(c.datasets(), ChatTokenizer.of(tokenizer));
      ModelReward reward = new ModelReward(rewardModel, c.onPolicy().localRolloutForwardBatchSize());
      Trainer.TrainResult r;
      try (RlooTrainer t = new RlooTrainer(c, models.policy(), models.trainable(), models.reference(), reward,
          prompts)) {
        t.progress(p);
        t.decodeWith(ids -> tokenizer.decode(ids, false));
        r = t.train();
      }
      models.export(tokenizerDir, c.outputDir());
      return r;
    }
  }

  /**
   * Refuses a scoring model whose tokenizer files differ from the policy's: it would read the policy's token ids as
   * other text.
   */
  static void requireSameTokenizer(Path policy, Path scorer, String key) {
    String mine = TrainingRuns.tokenizerDigest(policy);
    String theirs = TrainingRuns.tokenizerDigest(scorer);
    if (!mine.equals(theirs)) {
      throw InvalidInputException.field(scorer.toString(), key, "its tokenizer files differ from the policy's ("
          + policy + "); the reward and value models must share the policy's tokenizer, since they read the"
          + " policy's token ids (found " + (theirs.isEmpty() ? "no tokenizer files" : theirs) + ", expected "
          + (mine.isEmpty() ? "no tokenizer files" : mine) + ")");
    }
  }
}
