package dev.zephyr.quickstart;

import dev.zephyr.core.tokenizer.LossMode;
import dev.zephyr.train.optim.SchedulerType;
import dev.zephyr.train.pipeline.BestOfNStage;
import dev.zephyr.train.pipeline.RewardModelStage;
import dev.zephyr.train.pipeline.RlsfStage;
import dev.zephyr.train.pipeline.SftStage;
import dev.zephyr.train.recipe.BestOfNConfig;
import dev.zephyr.train.recipe.BestOfNRun;
import dev.zephyr.train.recipe.PpoRun;
import dev.zephyr.train.recipe.RewardConfig;
import dev.zephyr.train.recipe.RewardRun;
import dev.zephyr.train.recipe.SftConfig;
import dev.zephyr.train.recipe.SftRun;
import dev.zephyr.train.rl.OnPolicyConfig;
import dev.zephyr.train.rl.PpoConfig;
import java.nio.file.Path;
import java.util.List;

/**
 * The almost recipe's stages on the quickstart's tiny student, every one of them a zephyr-train ready stage:
 * synthetic comparisons then {@link RewardRun} ({@code rm}), {@link BestOfNRun} ({@code rmsp}), {@link SftRun}
 * ({@code sft}) and {@link PpoRun} ({@code ppo}).
 */
public final class AlmostStages {
  private final Settings settings;

  public AlmostStages(Settings settings) {
    this.settings = settings;
  }

  /**
   * Everything that shapes the almost recipe.
   *
   * @param comparisonPrompts AI-feedback prompts (the first ones) every generator configuration answers
   * @param rmspPrompts the following AI-feedback prompts: the seeds of self-play, then PPO's prompts
   * @param generators the configurations, best first
   * @param heldOutFraction share of comparison prompts whose pairs are held out of reward modelling
   * @param reward the reward model's training
   * @param bestOf candidates per self-play turn
   * @param rmspTemperature the student's sampling temperature in self-play
   * @param sft SFT on the self-play dialogues
   * @param ppo RLSF
   */
  public record Settings(int comparisonPrompts, int rmspPrompts, List<WorldComparisons.Generator> generators,
      double heldOutFraction, RewardConfig reward, int bestOf, double rmspTemperature, SftConfig sft, PpoConfig ppo) {

    public Settings {
      generators = List.copyOf(generators);
    }

    /** The README's almost recipe. */
    public static Settings defaults() {
      return new Settings(1000, 1000, rankedGenerators(), 0.2, rewardConfig(120, 3e-4), 4, 1.0,
          TrainedStages.sftConfig(LossMode.ASSISTANT_ONLY, 150, 32, 1e-3), ppoConfig(40, 1e-4));
    }

    /** The smaller setting the tests use (the small world has 800 AI-feedback prompts). */
    public static Settings small() {
      return new Settings(400, 300, rankedGenerators(), 0.2, rewardConfig(50, 3e-4), 4, 1.0,
          TrainedStages.sftConfig(LossMode.ASSISTANT_ONLY, 60, 32, 1e-3), ppoConfig(12, 1e-4));
    }

    /** Prompts the recipe takes from the world's AI-feedback prompts. */
    public int prompts() {
      return comparisonPrompts + rmspPrompts;
    }
  }

  /**
   * Best first, each a tier of its own: the noisy teacher erring 30% of the time, the same teacher erring 80% of the
   * time, the dSFT student sampled at temperature 1. Student variants are left out on purpose: the dSFT student with
   * three shots or sampled cooler is no better by the judge (it never saw a multi-turn prompt, and cooler sampling
   * keeps its chatty opening more often), and the base student's noise, ranked below the dSFT student, taught the
   * reward model that the dSFT student's chatty opening is a mark of quality.
   */
  static List<WorldComparisons.Generator> rankedGenerators() {
    return List.of(WorldComparisons.Generator.noisyTeacher("noisy-teacher-0.3", 0.3),
        WorldComparisons.Generator.noisyTeacher("noisy-teacher-0.8", 0.8),
        WorldComparisons.Generator.student("dsft", "dsft", 1.0, 0));
  }

  /**
   * The reward model: sequences up to {@link TrainedStages#MAX_LENGTH} tokens, 32 pairs per step, cosine decay after a
   * 10% warm-up, no centring.
   */
  static RewardConfig rewardConfig(long maxSteps, double learningRate) {
    RewardConfig.Builder b = RewardConfig.builder().maxLength(TrainedStages.MAX_LENGTH);
    b.training().maxSteps(maxSteps).perDeviceTrainBatchSize(32).learningRate(learningRate)
        .lrSchedulerType(SchedulerType.COSINE).warmupRatio(0.1).weightDecay(0.0).loggingSteps(5)
        .saveSteps(Math.max(10, maxSteps / 4)).saveTotalLimit(1).gradientCheckpointing(false);
    return b.build();
  }

  /**
   * PPO with TRL's defaults for the objective (k1 KL at 0.05, clip 0.2, GAE gamma 1 lam 0.95, value head from the
   * reward model) on 32 rollouts per update in two mini-batches, two PPO epochs, responses as long as the evaluation's
   * answers, a penalty of 1 for a response cut off without EOS, and a checkpoint (all kept) every quarter of the run,
   * which the recipe turns into the judge's curve.
   */
  static PpoConfig ppoConfig(long maxSteps, double learningRate) {
    PpoConfig.Builder b = PpoConfig.builder(Path.of("ppo"))
        .onPolicy(OnPolicyConfig.defaults().withResponseLength(TrainedStages.MAX_NEW_TOKENS)
            .withMissingEosPenalty(1.0).withNumMiniBatches(2).withNumPpoEpochs(2)
            .withLocalRolloutForwardBatchSize(32));
    b.training().maxSteps(maxSteps).perDeviceTrainBatchSize(16).learningRate(learningRate)
        .lrSchedulerType(SchedulerType.LINEAR).warmupRatio(0.0).weightDecay(0.0).loggingSteps(1)
        .saveSteps(Math.max(1, maxSteps / 4)).saveTotalLimit(0).gradientCheckpointing(false);
    return b.build();
  }

  public Settings settings() {
    return settings;
  }

  /** Synthetic comparisons from the generator configurations, then the reward model trained on them. */
  RewardModelStage rewardModel(WorldComparisons.Setup setup) {
    return new WorldComparisons(settings.generators(), settings.heldOutFraction(), setup,
        new RewardRun(settings.reward()));
  }

  /** Self-play on the seed questions in {@code seeds}: best of {@code best_of} by the reward model, one turn. */
  BestOfNStage rmsp(Path seeds) {
    return new BestOfNRun(new BestOfNConfig(seeds, settings.bestOf(), 1,
        BestOfNConfig.almostSampling(settings.rmspTemperature(), 0.9, TrainedStages.MAX_NEW_TOKENS), null, 0, null,
        TrainedStages.MAX_LENGTH, 32));
  }

  /** SFT on the self-play dialogues. */
  SftStage sft() {
    return new SftRun(settings.sft());
  }

  /** RLSF: PPO against the reward model. */
  RlsfStage rlsf() {
    return new PpoRun(settings.ppo());
  }
}
