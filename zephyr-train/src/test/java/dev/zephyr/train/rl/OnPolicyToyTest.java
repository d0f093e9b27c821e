package dev.zephyr.train.rl;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import dev.zephyr.core.io.Jsonl;
import dev.zephyr.core.model.LlamaModel;
import dev.zephyr.train.reward.RewardModel;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * PPO and RLOO on a seeded toy (a tiny random policy; reward = the fraction of response tokens that are token 5) each
 * raise the mean score over where they started within a fixed number of updates, and log TRL's metric names.
 */
class OnPolicyToyTest {
  static final int UPDATES = 12;

  static OnPolicyConfig toyRollouts() {
    return OnPolicyConfig.defaults().withResponseLength(6).withTemperature(1.0).withNumMiniBatches(2)
        .withNumPpoEpochs(4);
  }

  static PpoConfig ppo(Path dir) {
    PpoConfig.Builder b = PpoConfig.builder(dir.resolve("model")).onPolicy(toyRollouts());
    b.training().learningRate(3e-3).perDeviceTrainBatchSize(4).gradientAccumulationSteps(2).maxSteps(UPDATES)
        .seed(3).weightDecay(0);
    return b.build();
  }

  static RlooConfig rloo(Path dir) {
    RlooConfig.Builder b = RlooConfig.builder(dir.resolve("model")).onPolicy(toyRollouts()).rlooK(4);
    b.training().learningRate(3e-3).perDeviceTrainBatchSize(4).gradientAccumulationSteps(2).maxSteps(UPDATES)
        .seed(3).weightDecay(0);
    return b.build();
  }

  @Test
  void ppoRaisesTheMeanScore(@TempDir Path tmp) {
    PpoConfig c = ppo(tmp);
    try (NDManager m = NDManager.newBaseManager();
        LlamaModel policy = ToyWorld.policy(m);
        LlamaModel reference = ToyWorld.policy(m);
        RewardModel value = ToyWorld.valueModel(m);
        PpoTrainer t = new PpoTrainer(c, policy, reference, value, ToyWorld.TARGET_FRACTION,
            ToyWorld.prompts(32))) {
      t.train();
    }
    List<JsonNode> log = Jsonl.readAll(c.training().outputDir().resolve("metrics.jsonl"));
    assertThat(log).hasSize(UPDATES);
    assertThat(log.get(0).fieldNames()).toIterable().contains("objective/kl", "objective/entropy",
        "objective/non_score_reward", "objective/rlhf_reward", "objective/scores", "policy/approxkl_avg",
        "policy/clipfrac_avg", "loss/policy_avg", "loss/value_avg", "val/clipfrac_avg", "val/ratio",
        "policy/entropy_avg", "val/ratio_var", "val/num_eos_tokens", "lr", "episode", "eps", "step");
    assertThat(log.get(UPDATES - 1).get("episode").asLong()).isEqualTo(UPDATES * 16L);
    // the first update's sampling policy is the reference: KL 0 exactly, and the ratio starts at 1
    assertThat(log.get(0).get("objective/kl").asDouble()).isZero();
    assertRaised(log);
  }

  @Test
  void rlooRaisesTheMeanScore(@TempDir Path tmp) {
    RlooConfig c = rloo(tmp);
    try (NDManager m = NDManager.newBaseManager();
        LlamaModel policy = ToyWorld.policy(m);
        LlamaModel reference = ToyWorld.policy(m);
        RlooTrainer t = new RlooTrainer(c, policy, reference, ToyWorld.TARGET_FRACTION, ToyWorld.prompts(32))) {
      t.train();
    }
    List<JsonNode> log = Jsonl.readAll(c.training().outputDir().resolve("metrics.jsonl"));
    assertThat(log).hasSize(UPDATES);
    assertThat(log.get(0).fieldNames()).toIterable().contains("objective/kl", "objective/entropy",
        "objective/non_score_reward", "objective/rlhf_reward", "objective/scores", "policy/approxkl_avg",
        "policy/clipfrac_avg", "loss/policy_avg", "val/ratio", "val/num_eos_tokens", "lr", "episode");
    assertThat(log.get(0).get("objective/kl").asDouble()).isZero();
    assertRaised(log);
  }

  private static void assertRaised(List<JsonNode> log) {
    double start = (score(log, 0) + score(log, 1) + score(log, 2)) / 3;
    double end = (score(log, UPDATES - 3) + score(log, UPDATES - 2) + score(log, UPDATES - 1)) / 3;
    System.out.printf("mean score: first 3 updates %.3f, last 3 %.3f%n", start, end);
    assertThat(end).as("mean score of the last updates vs the first").isGreaterThan(start + 0.15);
  }

  private static double score(List<JsonNode> log, int i) {
    return log.get(i).get("objective/scores").asDouble();
  }
}
