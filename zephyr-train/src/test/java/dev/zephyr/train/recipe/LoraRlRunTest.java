package dev.zephyr.train.recipe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import dev.zephyr.core.InvalidInputException;
import dev.zephyr.core.device.Devices;
import dev.zephyr.core.model.LlamaModel;
import dev.zephyr.core.model.LogProbs;
import dev.zephyr.core.model.ModelConfig;
import dev.zephyr.core.model.lora.AdaptedModel;
import dev.zephyr.core.model.lora.LoraConfig;
import dev.zephyr.core.model.lora.PeftFiles;
import dev.zephyr.core.model.safetensors.Dtype;
import dev.zephyr.core.progress.Progress;
import dev.zephyr.train.loop.TrainingArguments;
import dev.zephyr.train.rl.OnPolicyConfig;
import dev.zephyr.train.rl.PpoConfig;
import dev.zephyr.train.rl.RlooConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * PPO and RLOO runs with {@code use_peft}: one 16-bit base under the policy and as the reference, the adapter written
 * as PEFT files that load over the base, and the device key honoured.
 */
class LoraRlRunTest {
  private static final OnPolicyConfig ROLLOUTS = OnPolicyConfig.defaults().withResponseLength(4)
      .withTemperature(1.0).withNumPpoEpochs(1).withNumSampleGenerations(0);

  /** The tiny policy saved in BF16, as real checkpoints are, with its tokenizer. */
  static Path bf16Model(Path dir) throws Exception {
    Path f32 = DpoResumeAfterKillTest.tinyModel(dir);
    Path bf16 = dir.resolve("bf16");
    try (NDManager m = NDManager.newBaseManager(); LlamaModel lm = LlamaModel.load(f32, m)) {
      lm.save(bf16, Dtype.BF16, f32);
    }
    return bf16;
  }

  @Test
  void withLoraThePolicyAndTheReferenceShareOneBaseKeptAtTwoBytes(@TempDir Path tmp) throws Exception {
    Path base = bf16Model(tmp);
    TrainingArguments training = TrainingArguments.builder(tmp.resolve("run")).seed(1).build();
    try (NDManager root = NDManager.newBaseManager();
        RlPolicy models = RlPolicy.load(base, LoraConfig.of(4, 8), training, root)) {
      assertThat(models.reference().adapter()).as("adapters off").isNull();
      assertThat(models.policy().adapter()).isNotNull();
      assertThat(models.reference().halfPrecisionWeights()).as("matrices kept at 2 bytes").isNotNull();
      models.reference().parameters().forEach((name, array) -> assertThat(models.policy().parameters().get(name))
          .as("%s is the same array, not a copy", name).isSameAs(array));
      assertThat(models.trainable().parameters().keySet()).allMatch(n -> n.contains(".lora_"));
    }
    try (NDManager root = NDManager.newBaseManager(); RlPolicy models = RlPolicy.load(base, null, training, root)) {
      assertThat(models.reference()).isNotSameAs(models.policy());
      assertThat(models.reference().halfPrecisionWeights()).as("a frozen reference at 2 bytes, as DPO's")
          .isNotNull();
      assertThat(models.trainable().parameters().keySet())
          .containsExactlyElementsOf(models.policy().parameters().keySet());
    }
  }

  @Test
  void ppoAndRlooWithLoraWritePeftAdaptersThatLoadOverTheBase(@TempDir Path tmp) throws Exception {
    Path base = bf16Model(tmp);
    byte[] baseBytes = Files.readAllBytes(base.resolve("model.safetensors"));
    Path rm = RlResumeAfterKillTest.rewardModel(base, tmp);
    Path prompts = RlResumeAfterKillTest.prompts(tmp);
    Path ppoOut = tmp.resolve("ppo");
    PpoConfig.Builder ppo = PpoConfig.builder(ppoOut).modelNameOrPath(base).rewardModelPath(rm)
        .datasets(List.of(prompts)).onPolicy(ROLLOUTS).lora(LoraConfig.of(4, 8).withDropout(0.05));
    ppo.training().perDeviceTrainBatchSize(2).maxSteps(2).learningRate(5e-2).seed(5).device("cpu")
        .disableTqdm(true);
    RlRuns.ppo(ppo.build(), Progress.NONE);

    Path rlooYaml = Files.writeString(tmp.resolve("rloo.yaml"), """
        model_name_or_path: %s
        reward_model_path: %s
        dataset_path: %s
        output_dir: %s
        per_device_train_batch_size: 4
        max_steps: 2
        learning_rate: 5.0e-2
        response_length: 4
        temperature: 1.0
        num_ppo_epochs: 1
        num_sample_generations: 0
        use_peft: true
        lora_r: 2
        lora_alpha: 4
        lora_target_modules: [q_proj, v_proj]
        device: cpu
        disable_tqdm: true
        """.formatted(base, rm, prompts, tmp.resolve("rloo")));
    RlooConfig rloo = RlRecipes.loadRloo(rlooYaml);
    assertThat(rloo.lora()).isEqualTo(new LoraConfig(2, 4, 0.05, List.of("q_proj", "v_proj"), false, List.of(),
        null));
    RlRuns.rloo(rloo, Progress.NONE);

    assertThat(Files.readAllBytes(base.resolve("model.safetensors"))).as("base untouched").isEqualTo(baseBytes);
    for (Path out : List.of(ppoOut, tmp.resolve("rloo"))) {
      try (var files = Files.list(out)) {
        assertThat(files.map(p -> p.getFileName().toString()).sorted().toList()).as(out.toString()).containsExactly(
            "adapter_config.json", "adapter_model.safetensors", "tokenizer.json", "tokenizer_config.json");
      }
    }
    LoraConfig written = PeftFiles.readConfig(tmp.resolve("rloo"), ModelConfig.load(base));
    assertThat(written.r()).isEqualTo(2);
    assertThat(written.targetModules()).containsExactly("q_proj", "v_proj");
    assertThat(Files.readString(ppoOut.resolve("adapter_config.json")))
        .contains("\"base_model_name_or_path\" : \"" + base + "\"").contains("\"lora_dropout\" : 0.05");

    try (NDManager m = NDManager.newBaseManager(); AdaptedModel adapted = AdaptedModel.load(base, ppoOut, m);
        NDScope s = new NDScope()) {
      s.suppressNotUsedWarning();
      NDArray ids = m.create(new long[] {1, 733, 28705, 28770, 304, 28705}, new Shape(1, 6));
      float[] viaAdapter = LogProbs.tokenLogProbs(adapted.model(), ids, null).toFloatArray();
      float[] plain = LogProbs.tokenLogProbs(adapted.base(), ids, null).toFloatArray();
      double moved = 0;
      for (int i = 0; i < plain.length; i++) {
        moved = Math.max(moved, Math.abs(viaAdapter[i] - plain[i]));
      }
      assertThat(moved).as("PPO moved the adapter away from zero").isGreaterThan(1e-4);
    }
  }

  @Test
  void aDeviceTheMachineLacksIsRefusedBeforeAnythingLoads(@TempDir Path tmp) {
    Device absent = Device.gpu(Engine.getInstance().getGpuCount());
    // no model, reward model or prompts exist: a run that loaded first would fail on them instead
    PpoConfig.Builder ppo = PpoConfig.builder(tmp.resolve("out")).modelNameOrPath(tmp.resolve("no-policy"))
        .rewardModelPath(tmp.resolve("no-rm"));
    ppo.training().device(absent);
    RlooConfig.Builder rloo = RlooConfig.builder(tmp.resolve("out")).modelNameOrPath(tmp.resolve("no-policy"))
        .rewardModelPath(tmp.resolve("no-rm"));
    rloo.training().device(absent);
    for (Runnable run : List.<Runnable>of(() -> RlRuns.ppo(ppo.build(), Progress.NONE),
        () -> RlRuns.rloo(rloo.build(), Progress.NONE))) {
      assertThatThrownBy(run::run).isInstanceOfSatisfying(InvalidInputException.class, e -> {
        assertThat(e.field()).isEqualTo("device");
        assertThat(e.reason()).contains(Devices.name(absent) + " does not exist here");
      });
    }
    assertThat(tmp.resolve("out")).doesNotExist();
  }
}
