package dev.zephyr.train.recipe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.zephyr.core.InvalidInputException;
import dev.zephyr.core.io.Jsonl;
import dev.zephyr.data.rows.SftRecord;
import dev.zephyr.train.pipeline.Artifacts;
import dev.zephyr.train.pipeline.Pipeline;
import dev.zephyr.train.pipeline.PipelineResult;
import dev.zephyr.train.pipeline.Recipe;
import dev.zephyr.train.pipeline.StageManifest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** ALMoST end to end as recipe stages: rm -> rmsp -> sft -> rloo on a tiny model, a few steps each. */
class AlmostPipelineTest {

  private static ReadyStages stages(Path dir) {
    return new ReadyStages(dir, (name, options, base) -> null, d -> null);
  }

  @Test
  void rlsfTrainsTheSftModelAgainstTheRmStagesRewardModel(@TempDir Path dir) throws Exception {
    Path student = RewardRunTest.tinyModel(dir);
    RewardRunTest.comparisons(dir);
    Files.writeString(dir.resolve("seeds.jsonl"), """
        {"id": "q1", "question": "What is 2 plus 2?"}
        {"id": "q2", "question": "Name a colour."}
        {"id": "q3", "question": "Say hello."}
        {"id": "q4", "question": "Count to three."}
        """);
    Path yaml = Files.writeString(dir.resolve("almost.yaml"), """
        name: almost-tiny
        seed: 3
        student: init
        work_dir: work
        stages:
          - rm: {comparisons: comparisons.jsonl, max_length: 64, learning_rate: 1.0e-2, max_steps: 2,
                 per_device_train_batch_size: 4, disable_tqdm: true, save_steps: 0}
          - rmsp: {seeds: seeds.jsonl, best_of: 2, max_new_tokens: 4, max_length: 64}
          - sft: {max_steps: 1, per_device_train_batch_size: 2, learning_rate: 1.0e-3, disable_tqdm: true}
          - rloo: {rloo_k: 2, per_device_train_batch_size: 4, max_steps: 1, response_length: 4, num_ppo_epochs: 1,
                   learning_rate: 1.0e-3, disable_tqdm: true}
        """);
    Recipe recipe = Recipe.load(yaml);
    Pipeline p = recipe.toPipeline(stages(dir));
    assertThat(p.plan()).containsExactly("01-rm", "02-rmsp", "03-sft", "04-rloo");

    PipelineResult r = p.run(student, recipe.workDir());
    Path work = dir.resolve("work");
    for (String id : p.plan()) {
      StageManifest m = StageManifest.read(work.resolve(id)).orElseThrow();
      assertThat(m.status()).as(id).isEqualTo(StageManifest.COMPLETED);
    }
    assertThat(StageManifest.read(work.resolve("01-rm")).orElseThrow().metrics()).containsKey("accuracy");
    Path demos = work.resolve("02-rmsp/demonstrations.jsonl");
    assertThat(Jsonl.readAll(demos, SftRecord.class)).extracting(SftRecord::prompt)
        .containsExactly("What is 2 plus 2?", "Name a colour.", "Say hello.", "Count to three.");
    assertThat(StageManifest.read(work.resolve("02-rmsp")).orElseThrow().metrics()).containsEntry("dialogues", 4.0);
    StageManifest sft = StageManifest.read(work.resolve("03-sft")).orElseThrow();
    assertThat(Path.of(sft.inputs().get(Artifacts.SFT_DATASET).path())).isEqualTo(demos);

    StageManifest rloo = StageManifest.read(work.resolve("04-rloo")).orElseThrow();
    assertThat(Path.of(rloo.inputs().get(Artifacts.MODEL).path())).as("the policy is the sft stage's model")
        .isEqualTo(work.resolve("03-sft/model"));
    assertThat(Path.of(rloo.inputs().get(Artifacts.REWARD_MODEL).path())).as("scored by the rm stage's model")
        .isEqualTo(work.resolve("01-rm/model"));
    assertThat(Path.of(rloo.inputs().get(Artifacts.SFT_DATASET).path())).as("prompts: the self-play dialogues")
        .isEqualTo(demos);
    assertThat(rloo.config().path("stage").path("rloo_k").asInt()).isEqualTo(2);
    assertThat(rloo.metrics()).containsKeys("objective/rlhf_reward", "objective/scores").containsEntry("episode",
        4.0);
    assertThat(r.finalModel()).isEqualTo(work.resolve("04-rloo/model"));
    assertThat(r.finalModel().resolve("model.safetensors")).exists();

    // a second run finds every stage done
    PipelineResult again = recipe.toPipeline(stages(dir)).run(student, recipe.workDir());
    assertThat(again.stages()).allSatisfy(s -> assertThat(s.status().name()).isEqualTo("SKIPPED"));
  }

  @Test
  void rlsfStageOptionsAreCheckedWhenThePipelineIsPlanned(@TempDir Path dir) throws Exception {
    Path bad = Files.writeString(dir.resolve("bad.yaml"), """
        student: init
        stages:
          - ppo: {reward_model_path: rm, response_length: 4}
        """);
    assertThatThrownBy(() -> Recipe.load(bad).toPipeline(stages(dir))).isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("recipe stage ppo").hasMessageContaining("reward_model_path");
    Path k1 = Files.writeString(dir.resolve("k1.yaml"), """
        student: init
        stages:
          - rloo: {rloo_k: 1}
        """);
    assertThatThrownBy(() -> Recipe.load(k1).toPipeline(stages(dir))).isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("rloo_k");
    Path typo = Files.writeString(dir.resolve("typo.yaml"), """
        student: init
        stages:
          - ppo: {cliprange_valu: 0.2}
        """);
    assertThatThrownBy(() -> Recipe.load(typo).toPipeline(stages(dir))).hasMessageContaining("cliprange_valu");
    Path ok = Files.writeString(dir.resolve("ok.yaml"), """
        student: init
        stages:
          - rm: {model: rm}
          - ppo: {prompts: prompts.jsonl, gamma: 0.9}
        """);
    Pipeline p = Recipe.load(ok).toPipeline(stages(dir));
    assertThat(p.plan()).containsExactly("01-rm", "02-ppo");
    p.validate(); // the prompts are given: no upstream demonstrations needed
    assertThat(p.stages().get(1).config()).containsEntry("source", "prompts");
    assertThat(p.stages().get(1).given()).containsEntry(Artifacts.SFT_DATASET, dir.resolve("prompts.jsonl"));
    assertThat(((Map<?, ?>) p.stages().get(1).config().get("stage")).get("gamma")).isEqualTo(0.9);
  }
}
