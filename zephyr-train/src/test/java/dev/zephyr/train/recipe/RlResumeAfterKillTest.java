package dev.zephyr.train.recipe;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import dev.zephyr.core.io.Jsonl;
import dev.zephyr.core.model.LlamaModel;
import dev.zephyr.train.loop.ChildJvm;
import dev.zephyr.train.reward.RewardModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A PPO and an RLOO run, each killed with SIGKILL after a checkpoint and run again, end with the same policy, bit for
 * bit, and the same metrics as an unbroken run: rollouts, mini-batch order and optimizer state all resume exactly.
 */
class RlResumeAfterKillTest {
  private static final List<String> COMPARED = List.of("objective/scores", "objective/kl", "objective/entropy",
      "objective/rlhf_reward", "loss/policy_avg", "policy/approxkl_avg", "val/ratio", "lr", "episode");

  @Test
  void killedPpoRunResumesToTheSamePolicy(@TempDir Path tmp) throws Exception {
    killAndResume(tmp, "ppo", false);
  }

  @Test
  void killedRlooRunResumesToTheSamePolicy(@TempDir Path tmp) throws Exception {
    killAndResume(tmp, "rloo", false);
  }

  @Test
  void killedPpoRunWithLoraResumesToTheSameAdapter(@TempDir Path tmp) throws Exception {
    killAndResume(tmp, "ppo", true);
  }

  @Test
  void killedRlooRunWithLoraResumesToTheSameAdapter(@TempDir Path tmp) throws Exception {
    killAndResume(tmp, "rloo", true);
  }

  /** A reward model on the tiny policy's decoder with a random head, saved with the policy's tokenizer. */
  static Path rewardModel(Path policy, Path dir) {
    Path rm = dir.resolve("rm");
    try (NDManager m = NDManager.newBaseManager(); LlamaModel decoder = LlamaModel.load(policy, m)) {
      RewardModel.withNewHead(decoder, 0.5, 9).save(rm, policy);
    }
    return rm;
  }

  static Path prompts(Path dir) throws Exception {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < 8; i++) {
      sb.append("{\"prompt\": \"What is %d plus %d?\"}\n".formatted(i, i + 1));
    }
    sb.append("{\"messages\": [{\"role\": \"user\", \"content\": \"Spell 7.\"}, {\"role\": \"assistant\","
        + " \"content\": \"s e v e n\"}]}\n");
    return Files.writeString(dir.resolve("prompts.jsonl"), sb);
  }

  private static Process start(String algo, Path policy, Path rm, Path data, Path out, long sleepMs, Path log,
      boolean lora) throws Exception {
    return ChildJvm.start(log, RlKillRun.class, algo, policy.toString(), rm.toString(), data.toString(),
        out.resolve("model").toString(), out.resolve("run").toString(), String.valueOf(sleepMs),
        lora ? "lora" : "full");
  }

  private static void killAndResume(Path tmp, String algo, boolean lora) throws Exception {
    Path policy = DpoResumeAfterKillTest.tinyModel(tmp);
    Path rm = rewardModel(policy, tmp);
    Path data = prompts(tmp);

    Path straight = tmp.resolve("straight");
    Process a = start(algo, policy, rm, data, straight, 0, tmp.resolve("a.log"), lora);
    assertThat(a.waitFor(180, TimeUnit.SECONDS)).isTrue();
    assertThat(a.exitValue()).as(Files.readString(tmp.resolve("a.log"))).isZero();

    Path broken = tmp.resolve("broken");
    Process b = start(algo, policy, rm, data, broken, 300, tmp.resolve("b.log"), lora);
    long deadline = System.currentTimeMillis() + 180_000;
    while (!Files.exists(broken.resolve("run/checkpoint-2")) && System.currentTimeMillis() < deadline) {
      Thread.sleep(20);
    }
    assertThat(broken.resolve("run/checkpoint-2")).as(Files.readString(tmp.resolve("b.log"))).exists();
    b.destroyForcibly(); // SIGKILL on Linux
    assertThat(b.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(broken.resolve("model")).as("killed before the end: no model yet").doesNotExist();

    Process c = start(algo, policy, rm, data, broken, 0, tmp.resolve("c.log"), lora);
    assertThat(c.waitFor(180, TimeUnit.SECONDS)).isTrue();
    String resumedLog = Files.readString(tmp.resolve("c.log"));
    assertThat(c.exitValue()).as(resumedLog).isZero();

    List<JsonNode> m1 = Jsonl.readAll(straight.resolve("run/metrics.jsonl"));
    List<JsonNode> m2 = Jsonl.readAll(broken.resolve("run/metrics.jsonl"));
    assertThat(m2).hasSize(RlKillRun.UPDATES);
    for (int i = 0; i < RlKillRun.UPDATES; i++) {
      assertThat(m2.get(i).get("step").asLong()).isEqualTo(i + 1);
      for (String k : COMPARED) {
        assertThat(m2.get(i).get(k).asDouble()).as("update %d %s", i + 1, k).isEqualTo(m1.get(i).get(k).asDouble());
      }
      if (algo.equals("ppo")) {
        assertThat(m2.get(i).get("objective/kl_coef").asDouble()).as("update %d kl_coef", i + 1)
            .isEqualTo(m1.get(i).get("objective/kl_coef").asDouble());
      }
    }
    assertThat(Files.readString(broken.resolve("run/samples.jsonl"))).as("sample generations after updates 1, 3")
        .isEqualTo(Files.readString(straight.resolve("run/samples.jsonl")));
    assertThat(Jsonl.readAll(straight.resolve("run/samples.jsonl"))).hasSize(6);
    String weights = lora ? "model/adapter_model.safetensors" : "model/model.safetensors";
    assertThat(Files.readAllBytes(broken.resolve(weights))).isEqualTo(Files.readAllBytes(straight.resolve(weights)));
    if (lora) {
      assertThat(broken.resolve("run/checkpoint-4/adapter_model.safetensors")).exists();
      assertThat(broken.resolve("run/checkpoint-4/model.safetensors")).doesNotExist();
      assertThat(broken.resolve("model/model.safetensors")).as("only the adapter is written").doesNotExist();
      try (NDManager m = NDManager.newBaseManager()) {
        float[] lb = dev.zephyr.core.model.safetensors.Safetensors.load(straight.resolve(weights), m,
            n -> n.endsWith("layers.0.self_attn.q_proj.lora_B.weight")).values().iterator().next().toFloatArray();
        assertThat(lb).as("the adapter was updated").isNotEqualTo(new float[lb.length]);
      }
    } else {
      assertThat(Files.readAllBytes(straight.resolve(weights)))
          .as("the policy was updated").isNotEqualTo(Files.readAllBytes(policy.resolve("model.safetensors")));
    }
    assertThat(straight.resolve("model/tokenizer.json")).exists();
    if (algo.equals("ppo")) {
      assertThat(m1.get(RlKillRun.UPDATES - 1).get("objective/kl_coef").asDouble()).as("the controller moved it")
          .isNotEqualTo(0.05);
    }
  }
}
