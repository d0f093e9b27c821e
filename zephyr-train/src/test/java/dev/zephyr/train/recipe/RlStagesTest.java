package dev.zephyr.train.recipe;

import static org.assertj.core.api.Assertions.assertThat;

import dev.zephyr.core.model.lora.LoraConfig;
import dev.zephyr.train.loop.MetricsLog;
import dev.zephyr.train.pipeline.StageContext;
import dev.zephyr.train.rl.OnPolicyConfig;
import dev.zephyr.train.rl.PpoConfig;
import dev.zephyr.train.rl.RlooConfig;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ready RLSF stages train the pipeline's policy against its reward model on its prompts, in the stage's
 * {@code run/} and {@code model/}, with the pipeline's seed.
 */
class RlStagesTest {
  private static final OnPolicyConfig ROLLOUTS = OnPolicyConfig.defaults().withResponseLength(4)
      .withTemperature(1.0).withNumPpoEpochs(1);

  @Test
  void ppoAndRlooStagesTrainInTheStageDirectory(@TempDir Path tmp) throws Exception {
    Path policy = DpoResumeAfterKillTest.tinyModel(tmp);
    Path rm = RlResumeAfterKillTest.rewardModel(policy, tmp);
    Path prompts = RlResumeAfterKillTest.prompts(tmp);

    PpoConfig.Builder ppo = PpoConfig.builder(tmp.resolve("ignored")).onPolicy(ROLLOUTS).gamma(0.9);
    ppo.training().perDeviceTrainBatchSize(2).maxSteps(2).learningRate(1e-3).seed(99).disableTqdm(true);
    PpoRun ppoRun = new PpoRun(ppo.build());
    assertThat(ppoRun.config()).containsEntry("gamma", 0.9).containsEntry("kl_estimator", "k1")
        .doesNotContainKey("seed");
    StageContext ctx = StageContext.standalone("rlsf", tmp.resolve("04-rlsf"), Map.of(), 7);
    assertThat(ppoRun.train(policy, rm, prompts, ctx)).isEqualTo(ctx.modelDir());
    assertThat(ctx.modelDir().resolve("model.safetensors")).exists();
    assertThat(ctx.runDir().resolve("metrics.jsonl")).exists();
    assertThat(MetricsLog.lastValues(ctx.runDir().resolve("metrics.jsonl")))
        .containsKeys("objective/scores", "loss/value_avg").containsEntry("step", 2.0).containsEntry("episode", 4.0);

    RlooConfig.Builder rloo = RlooConfig.builder(tmp.resolve("ignored")).onPolicy(ROLLOUTS).rlooK(2);
    rloo.training().perDeviceTrainBatchSize(4).maxSteps(1).learningRate(1e-3).disableTqdm(true);
    StageContext rctx = StageContext.standalone("rlsf", tmp.resolve("05-rloo"), Map.of(), 7);
    new RlooRun(rloo.build()).train(policy, rm, prompts, rctx);
    assertThat(rctx.modelDir().resolve("model.safetensors")).exists();
    assertThat(MetricsLog.lastValues(rctx.runDir().resolve("metrics.jsonl"))).containsKeys("objective/rlhf_reward")
        .containsEntry("episode", 4.0);

    // with use_peft the stage trains an adapter in run/adapter and hands the merged model on
    rloo.lora(LoraConfig.of(2, 4));
    StageContext lctx = StageContext.standalone("rlsf", tmp.resolve("06-rloo-lora"), Map.of(), 7);
    RlooRun loraRun = new RlooRun(rloo.build());
    assertThat(loraRun.config()).containsEntry("use_peft", true).containsEntry("lora_r", 2);
    assertThat(loraRun.train(policy, rm, prompts, lctx)).isEqualTo(lctx.modelDir());
    assertThat(lctx.runDir().resolve("adapter/adapter_model.safetensors")).exists();
    assertThat(lctx.modelDir().resolve("model.safetensors")).as("merged for the next stage").exists();
    assertThat(lctx.modelDir().resolve("adapter_config.json")).doesNotExist();
  }
}
