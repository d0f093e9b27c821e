package dev.zephyr.train.pipeline;

import dev.zephyr.core.eval.Evaluation;
import java.util.Map;

/**
 * Turns the options of a recipe's stage (Hugging Face / TRL / alignment-handbook key names, e.g.
 * {@code learning_rate}, {@code beta}, {@code lr_scheduler_type}) into concrete stages. The library's implementation
 * wraps the SFT/DPO/reward trainers, feedback collection and evaluators; tests pass mocks. Artifact keys
 * ({@code dataset}, {@code preferences}, {@code model}...) are consumed by {@link Recipe} and never reach here.
 */
public interface RecipeStages {
  SftStage sft(Map<String, Object> options);

  FeedbackStage feedback(Map<String, Object> options);

  DpoStage dpo(Map<String, Object> options);

  RewardModelStage rewardModel(Map<String, Object> options);

  BestOfNStage bestOfN(Map<String, Object> options);

  /** An RLSF stage of {@code kind} {@code ppo} or {@code rloo}. */
  RlsfStage rlsf(String kind, Map<String, Object> options);

  /** An evaluation by name ({@code mt_bench}, {@code alpaca_eval}, ...). */
  Evaluation evaluation(String name, Map<String, Object> options);

  /** How evaluation opens model directories. */
  ModelLoader loader();
}
