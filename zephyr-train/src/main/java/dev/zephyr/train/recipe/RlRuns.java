package dev.zephyr.train.recipe;

import ai.djl.ndarray.NDManager;
import dev.zephyr.core.InvalidInputException;
import dev.zephyr.core.model.LlamaModel;
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
 * Runs PPO and RLOO recipes end to end: load the policy and a frozen copy as reference, the reward model (and for PPO
 * the value model), tokenise the prompts with the policy's chat template, train in {@code run_dir} (a rerun resumes
 * from its newest checkpoint), and write the trained policy as a Hugging Face directory at {@code output_dir}.
 *
 * <p>{@code run_dir} must not be {@code output_dir} or inside it ({@link RunDirs#check}). The reward model scores token ids sampled with the policy's tokenizer, so its tokenizer files must be the same;
 * a reward or value model with other files is refused before anything is loaded.
 */
public final class RlRuns {
  private RlRuns() {}

  public static Trainer.TrainResult ppo(PpoConfig c) {
    return ppo(c, ConsoleProgress.stderr());
  }

  public static Trainer.TrainResult ppo(PpoConfig c, Progress progress) {
    RunDirs.check(c.outputDir(), c.training().outputDir());
    TrainingRuns.requireReplaceable(c.outputDir());
    requireSameTokenizer(c.modelNameOrPath(), c.rewardModelPath(), "reward_model_path");
    requireSameTokenizer(c.modelNameOrPath(), c.valueModelOrReward(), "value_model_path");
    Progress p = c.training().disableTqdm() ? Progress.NONE : progress;
    try (NDManager root = NDManager.newBaseManager();
        Tokenizer tokenizer = Tokenizer.load(c.modelNameOrPath());
        LlamaModel policy = LlamaModel.load(c.modelNameOrPath(), root);
        LlamaModel reference = LlamaModel.load(c.modelNameOrPath(), root);
        RewardModel rewardModel = RewardModel.load(c.rewardModelPath(), root);
        RewardModel valueModel = RewardModel.load(c.valueModelOrReward(), root)) {
      List<int[]> prompts = PromptData.load(c.datasets(), ChatTokenizer.of(tokenizer));
      ModelReward reward = new ModelReward(rewardModel, c.onPolicy().localRolloutForwardBatchSize());
      Trainer.TrainResult r;
      try (PpoTrainer t = new PpoTrainer(c, policy, reference, valueModel, reward, prompts)) {
        t.progress(p);
        r = t.train();
      }
      TrainingRuns.export(policy, c.modelNameOrPath(), c.outputDir());
      return r;
    }
  }

  public static Trainer.TrainResult rloo(RlooConfig c) {
    return rloo(c, ConsoleProgress.stderr());
  }

  public static Trainer.TrainResult rloo(RlooConfig c, Progress progress) {
    RunDirs.check(c.outputDir(), c.training().outputDir());
    TrainingRuns.requireReplaceable(c.outputDir());
    requireSameTokenizer(c.modelNameOrPath(), c.rewardModelPath(), "reward_model_path");
    Progress p = c.training().disableTqdm() ? Progress.NONE : progress;
    try (NDManager root = NDManager.newBaseManager();
        Tokenizer tokenizer = Tokenizer.load(c.modelNameOrPath());
        LlamaModel policy = LlamaModel.load(c.modelNameOrPath(), root);
        LlamaModel reference = LlamaModel.load(c.modelNameOrPath(), root);
        RewardModel rewardModel = RewardModel.load(c.rewardModelPath(), root)) {
      List<int[]> prompts = PromptData.load(c.datasets(), ChatTokenizer.of(tokenizer));
      ModelReward reward = new ModelReward(rewardModel, c.onPolicy().localRolloutForwardBatchSize());
      Trainer.TrainResult r;
      try (RlooTrainer t = new RlooTrainer(c, policy, reference, reward, prompts)) {
        t.progress(p);
        r = t.train();
      }
      TrainingRuns.export(policy, c.modelNameOrPath(), c.outputDir());
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
