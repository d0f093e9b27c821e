package dev.zephyr.train.pipeline;

import java.nio.file.Path;
import java.util.Map;

/**
 * ALMoST step 3, reinforcement learning from synthetic feedback: the policy trained on-policy (PPO or RLOO) against a
 * reward model, with a KL penalty to its own starting point.
 */
public interface RlsfStage {

  /** The stage directory's kind: {@code ppo}, {@code rloo}, or {@code rlsf} for other trainers. */
  default String kind() {
    return "rlsf";
  }

  /** The settings recorded in the stage manifest. */
  default Map<String, Object> config() {
    return Map.of();
  }

  /**
   * Trains {@code policy} against {@code rewardModel} on the prompts of {@code prompts} (JSONL) and returns the trained
   * model's directory.
   */
  Path train(Path policy, Path rewardModel, Path prompts, StageContext ctx) throws Exception;
}
