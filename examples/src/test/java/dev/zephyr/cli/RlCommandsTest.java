package dev.zephyr.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import dev.zephyr.core.io.Jsonl;
import dev.zephyr.core.model.LlamaModel;
import dev.zephyr.train.reward.RewardModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code zephyr ppo} and {@code zephyr rloo}: recipe keys in the help, failures named, a tiny run end to end. */
class RlCommandsTest {
  @TempDir Path tmp;

  @Test
  void helpListsTheRecipeKeysOfEachTrainer() {
    CliRun ppo = CliRun.of("ppo", "--help");
    assertThat(ppo.code()).isZero();
    assertThat(ppo.out()).contains("YAML keys").contains("reward_model_path").contains("kl_estimator")
        .contains("cliprange_value").contains("missing_eos_penalty").doesNotContain("rloo_k");
    CliRun rloo = CliRun.of("rloo", "--help");
    assertThat(rloo.out()).contains("rloo_k").contains("normalize_advantage").doesNotContain("vf_coef");
    assertThat(rloo.out().lines()).allMatch(l -> l.length() <= 80);
  }

  @Test
  void helpListsThePeftKeysAndTheDeviceOption() {
    for (String command : List.of("ppo", "rloo")) {
      CliRun help = CliRun.of(command, "--help");
      assertThat(help.out()).as(command).contains("use_peft").contains("lora_target_modules")
          .contains("num_sample_generations").contains("--device");
    }
    assertThat(CliRun.of("rm", "--help").out()).contains("--device");
    assertThat(CliRun.of("rmsp", "--help").out()).contains("--device").contains("device");
  }

  @Test
  void aDeviceTheMachineLacksIsRefusedBeforeAnythingLoads() throws Exception {
    String absent = "gpu:" + ai.djl.engine.Engine.getInstance().getGpuCount();
    String paths = "model_name_or_path: /nonexistent-model\nreward_model_path: /nonexistent-rm\n"
        + "output_dir: " + tmp.resolve("out") + "\n";
    Path rl = Files.writeString(tmp.resolve("rl.yaml"), paths + "dataset_path: /nonexistent-prompts.jsonl\n");
    Path rm = Files.writeString(tmp.resolve("rm.yaml"), "model_name_or_path: /nonexistent-model\n"
        + "dataset_path: /nonexistent-comparisons.jsonl\noutput_dir: " + tmp.resolve("out") + "\n");
    Path rmsp = Files.writeString(tmp.resolve("rmsp.yaml"), paths + "seeds: /nonexistent-seeds.jsonl\n");
    for (String[] args : List.of(new String[] {"ppo", "--config", rl.toString()},
        new String[] {"rloo", "--config", rl.toString()}, new String[] {"rm", "--config", rm.toString()},
        new String[] {"rmsp", "--config", rmsp.toString()})) {
      String[] withDevice = java.util.stream.Stream.concat(java.util.Arrays.stream(args),
          java.util.stream.Stream.of("--device", absent)).toArray(String[]::new);
      CliRun r = CliRun.of(withDevice);
      assertThat(r.code()).as(String.join(" ", withDevice)).isNotZero();
      assertThat(r.err()).as(args[0]).contains("--device").contains(absent + " does not exist here")
          .doesNotContain("nonexistent");
    }
    assertThat(tmp.resolve("out")).doesNotExist();
  }

  @Test
  void aMissingRecipeOrABadKeyFailsWithOneLine() throws Exception {
    CliRun missing = CliRun.of("ppo", "--config", tmp.resolve("missing.yaml").toString());
    assertThat(missing.code()).isEqualTo(1);
    assertThat(missing.err()).contains("zephyr ppo: ").contains("missing.yaml").doesNotContain("\tat ");
    Path yaml = Files.writeString(tmp.resolve("rloo.yaml"), """
        model_name_or_path: m
        reward_model_path: rm
        dataset_path: p.jsonl
        output_dir: out
        rloo_k: 1
        """);
    CliRun bad = CliRun.of("rloo", "--config", yaml.toString());
    assertThat(bad.code()).isEqualTo(1);
    assertThat(bad.err()).contains("zephyr rloo: ").contains("rloo_k").contains("at least 2");
  }

  @Test
  void rlooTrainsATinyPolicyAgainstARewardModel() throws Exception {
    Path policy = TinyModels.withZephyrTokenizer(tmp);
    Path rm = tmp.resolve("rm");
    try (NDManager m = NDManager.newBaseManager(); LlamaModel decoder = LlamaModel.load(policy, m)) {
      RewardModel.withNewHead(decoder, 0.5, 4).save(rm, policy);
    }
    Path prompts = Files.writeString(tmp.resolve("prompts.jsonl"),
        "{\"prompt\": \"Hi\"}\n{\"prompt\": \"Add 2 and 3.\"}\n{\"prompt\": [{\"role\": \"user\", \"content\": \"Hey\"}]}\n");
    Path out = tmp.resolve("policy");
    Path yaml = Files.writeString(tmp.resolve("rloo.yaml"), """
        model_name_or_path: %s
        reward_model_path: %s
        dataset_path: %s
        output_dir: %s
        rloo_k: 2
        per_device_train_batch_size: 4
        num_ppo_epochs: 1
        response_length: 4
        max_steps: 2
        learning_rate: 1.0e-3
        disable_tqdm: true
        """.formatted(policy, rm, prompts, out));
    CliRun r = CliRun.of("rloo", "--config", yaml.toString());
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.err()).contains("rloo done: 2 updates");
    assertThat(out.resolve("model.safetensors")).exists();
    assertThat(out.resolve("tokenizer.json")).exists();
    List<JsonNode> log = Jsonl.readAll(tmp.resolve("policy-run/metrics.jsonl"));
    assertThat(log).hasSize(2);
    assertThat(log.get(1).get("episode").asLong()).isEqualTo(8);
    assertThat(log.get(0).has("objective/rlhf_reward")).isTrue();
  }
}
