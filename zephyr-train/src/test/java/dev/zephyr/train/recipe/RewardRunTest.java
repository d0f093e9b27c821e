package dev.zephyr.train.recipe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import dev.zephyr.core.InvalidInputException;
import dev.zephyr.core.chat.Message;
import dev.zephyr.core.io.Json;
import dev.zephyr.core.model.LlamaModel;
import dev.zephyr.core.model.ModelConfig;
import dev.zephyr.core.model.ModelType;
import dev.zephyr.core.model.safetensors.Safetensors;
import dev.zephyr.core.testing.TestData;
import dev.zephyr.core.tokenizer.ChatTokenizer;
import dev.zephyr.core.tokenizer.Tokenizer;
import dev.zephyr.train.optim.SchedulerType;
import dev.zephyr.train.pipeline.Artifacts;
import dev.zephyr.train.pipeline.Pipeline;
import dev.zephyr.train.pipeline.PipelineResult;
import dev.zephyr.train.pipeline.RewardModeling;
import dev.zephyr.train.reward.ChatRewardModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The ready reward-model stage: TRL RewardConfig keys in, a sequence-classification directory out. */
class RewardRunTest {

  /** A two-layer random Llama with the Zephyr tokenizer. */
  static Path tinyModel(Path dir) throws Exception {
    ModelConfig config = ModelConfig.builder().modelType(ModelType.LLAMA).vocabSize(32000).hiddenSize(16)
        .intermediateSize(32).numHiddenLayers(2).numAttentionHeads(2).numKeyValueHeads(1).rmsNormEps(1e-5)
        .ropeTheta(10000.0).maxPositionEmbeddings(256).bosTokenId(1).eosTokenIds(List.of(2)).build();
    Path model = dir.resolve("init");
    try (NDManager m = NDManager.newBaseManager(); LlamaModel lm = LlamaModel.random(config, 7, 0.2, m)) {
      lm.save(model);
    }
    for (String f : List.of("tokenizer.json", "tokenizer_config.json")) {
      Files.copy(TestData.path("tokenizers", "zephyr", f), model.resolve(f));
    }
    return model;
  }

  /** Comparisons in both layouts: a correct short answer is preferred to a wrong one. */
  static Path comparisons(Path dir) throws Exception {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < 8; i++) {
      sb.append("{\"prompt\": \"What is %d plus %d?\", \"chosen\": \"%d\", \"rejected\": \"maybe %d or so\"}\n"
          .formatted(i, i, 2 * i, 2 * i + 5));
      sb.append(("{\"chosen\": [{\"role\": \"user\", \"content\": \"Name %d.\"}, {\"role\": \"assistant\", \"content\":"
          + " \"%d\"}], \"rejected\": [{\"role\": \"user\", \"content\": \"Name %d.\"}, {\"role\": \"assistant\","
          + " \"content\": \"maybe not\"}], \"margin\": 0.5}\n").formatted(i, i, i));
    }
    return Files.writeString(dir.resolve("comparisons.jsonl"), sb);
  }

  @Test
  void trainsARewardModelInThePipelineAndWritesTheSequenceClassificationLayout(@TempDir Path dir) throws Exception {
    Path student = tinyModel(dir);
    RewardConfig.Builder rm = RewardConfig.builder().maxLength(64);
    rm.training().learningRate(3e-2).lrSchedulerType(SchedulerType.CONSTANT).numTrainEpochs(6)
        .perDeviceTrainBatchSize(4).loggingSteps(4).saveSteps(0).disableTqdm(true).gradientCheckpointing(false);
    RewardRun stage = new RewardRun(rm.build());
    assertThat(stage.config()).containsEntry("max_length", 64).containsEntry("center_rewards_coefficient", 0.0)
        .containsEntry("learning_rate", 3e-2).doesNotContainKeys("output_dir", "model_name_or_path");

    PipelineResult r = Pipeline.empty().then(RewardModeling.of(stage).fromComparisons(comparisons(dir))).seed(5)
        .run(student, dir.resolve("work"));

    Path out = r.stages().get(0).artifact(Artifacts.REWARD_MODEL);
    assertThat(out).isEqualTo(dir.resolve("work/01-rm/model"));
    assertThat(r.finalModel()).as("a reward model does not replace the student").isEqualTo(student);
    JsonNode cfg = Json.mapper().readTree(out.resolve("config.json").toFile());
    assertThat(cfg.get("architectures").get(0).asText()).isEqualTo("LlamaForSequenceClassification");
    assertThat(cfg.get("num_labels").asInt()).isEqualTo(1);
    assertThat(Safetensors.readHeader(out.resolve("model.safetensors")).tensor("score.weight")).isPresent();
    assertThat(out.resolve("tokenizer.json")).as("the tokenizer travels with the model").exists();
    assertThat(dir.resolve("work/01-rm/run/metrics.jsonl")).exists();
    Map<String, Double> m = r.metrics("rm");
    assertThat(m).containsKeys("loss", "accuracy", "margin", "mean_reward", "train_loss", "train_runtime");
    assertThat(m.get("accuracy")).as("the last logged batch accuracy").isEqualTo(1.0);

    try (NDManager nd = NDManager.newBaseManager(); Tokenizer tok = Tokenizer.load(out);
        dev.zephyr.train.reward.RewardModel loaded = dev.zephyr.train.reward.RewardModel.load(out, nd)) {
      double[] s = new ChatRewardModel(loaded, ChatTokenizer.of(tok), 4, 64).score(List.of(
          List.of(Message.user("What is 3 plus 3?"), Message.assistant("6")),
          List.of(Message.user("What is 3 plus 3?"), Message.assistant("maybe 11 or so"))));
      assertThat(s[0]).as("the trained model prefers the chosen answer").isGreaterThan(s[1]);
    }
  }

  @Test
  void recipeKeysUseTrlNamesAndBadValuesNameTheRecipe(@TempDir Path dir) throws Exception {
    Path yaml = Files.writeString(dir.resolve("rm.yaml"), """
        model_name_or_path: models/sft
        dataset_path: data/comparisons.jsonl
        output_dir: out/rm
        max_length: 512
        center_rewards_coefficient: 0.01
        learning_rate: 2.0e-5
        """);
    RewardConfig c = Recipes.loadReward(yaml);
    assertThat(c.maxLength()).isEqualTo(512);
    assertThat(c.centerRewardsCoefficient()).isEqualTo(0.01);
    assertThat(c.training().learningRate()).isEqualTo(2e-5);
    assertThat(c.runDir()).isEqualTo(Path.of("out/rm-run"));
    assertThat(RewardConfig.builder().build().training().learningRate()).as("TRL's default").isEqualTo(1e-4);
    assertThat(Recipes.rewardKeys().get("reward")).containsExactly("max_length", "center_rewards_coefficient");

    Files.writeString(yaml, Files.readString(yaml).replace("0.01", "-1"));
    assertThatThrownBy(() -> Recipes.loadReward(yaml)).isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("center_rewards_coefficient").hasMessageContaining(yaml.toString());
  }
}
