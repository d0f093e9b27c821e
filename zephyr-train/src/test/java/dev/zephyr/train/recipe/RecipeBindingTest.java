package dev.zephyr.train.recipe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.zephyr.core.InvalidInputException;
import dev.zephyr.train.dpo.DpoLossType;
import dev.zephyr.train.loop.IntervalStrategy;
import dev.zephyr.train.optim.SchedulerType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Any Jackson YAML mapper binds the run configs through the one key table, with its checks and messages. */
class RecipeBindingTest {
  private final ObjectMapper yaml = new ObjectMapper(new YAMLFactory());

  @Test
  void aValidSftRecipeBindsToTheRecordRecipesLoads(@TempDir Path dir) throws Exception {
    Path file = Files.writeString(dir.resolve("sft.yaml"), """
        model_name_or_path: models/base
        dataset_path: data/chats.jsonl
        output_dir: out/sft
        learning_rate: 2.0e-5
        lr_scheduler_type: cosine
        max_length: 512
        packing: true
        test_split_size: 0.1
        eval_strategy: steps
        use_peft: true
        lora_r: 8
        report_to: none
        """);
    SftConfig bound = yaml.readValue(file.toFile(), SftConfig.class);
    assertThat(bound).isEqualTo(Recipes.loadSft(file));
    assertThat(bound.training().learningRate()).isEqualTo(2e-5);
    assertThat(bound.training().lrSchedulerType()).isEqualTo(SchedulerType.COSINE);
    assertThat(bound.maxLength()).isEqualTo(512);
    assertThat(bound.training().evalStrategy()).isEqualTo(IntervalStrategy.STEPS);
    assertThat(bound.evalData().holdOut().testSize()).isEqualTo(0.1);
    assertThat(bound.lora().r()).isEqualTo(8);
    assertThat(bound.modelNameOrPath()).isEqualTo(Path.of("models/base"));
  }

  @Test
  void dpoAndRewardRecipesBindAlike(@TempDir Path dir) throws Exception {
    Path dpo = Files.writeString(dir.resolve("dpo.yaml"), """
        model_name_or_path: models/sft
        dataset_path: data/prefs.jsonl
        output_dir: out/dpo
        beta: 0.01
        loss_type: [sigmoid, sft]
        loss_weights: [1.0, 0.5]
        precompute_ref_log_probs: true
        """);
    DpoConfig d = yaml.readValue(dpo.toFile(), DpoConfig.class);
    assertThat(d).isEqualTo(Recipes.loadDpo(dpo));
    assertThat(d.loss().beta()).isEqualTo(0.01);
    assertThat(d.loss().lossTypes()).containsExactly(DpoLossType.SIGMOID, DpoLossType.SFT);

    Path rm = Files.writeString(dir.resolve("rm.yaml"), """
        model_name_or_path: models/sft
        dataset_path: data/comparisons.jsonl
        output_dir: out/rm
        center_rewards_coefficient: 0.01
        eval_dataset_path: data/held.jsonl
        eval_strategy: epoch
        """);
    RewardConfig r = yaml.readValue(rm.toFile(), RewardConfig.class);
    assertThat(r).isEqualTo(Recipes.loadReward(rm));
    assertThat(r.centerRewardsCoefficient()).isEqualTo(0.01);
    assertThat(r.evalData().files()).containsExactly(Path.of("data/held.jsonl"));
  }

  @Test
  void aMisspeltKeyFailsNamingTheFileTheLineTheKeyAndTheSuggestion(@TempDir Path dir) throws Exception {
    Path file = Files.writeString(dir.resolve("dpo.yaml"), """
        model_name_or_path: models/sft
        dataset_path: data/prefs.jsonl
        output_dir: out/dpo
        learing_rate: 5.0e-7
        """);
    String expected = file + ":4: field 'learing_rate': unknown key (did you mean 'learning_rate'?)";
    assertThatThrownBy(() -> yaml.readValue(file.toFile(), DpoConfig.class))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining(expected);
    assertThatThrownBy(() -> Recipes.loadDpo(file)).hasMessageContaining(expected);
    assertThatThrownBy(() -> yaml.readValue(file.toFile(), SftConfig.class)).hasMessageContaining(expected);
  }

  @Test
  void withoutAFileErrorsNameTheConfigTypeAndValuesAreCheckedAsInAFile() {
    assertThatThrownBy(() -> yaml.readValue("model_name_or_path: m\ndataset_path: d\noutput_dir: o\nbta: 0.1\n",
        DpoConfig.class)).isInstanceOf(InvalidInputException.class).hasMessageContaining("DpoConfig")
        .hasMessageContaining("'bta'").hasMessageContaining("did you mean 'beta'?");
    assertThatThrownBy(() -> yaml.readValue("model_name_or_path: m\ndataset_path: d\noutput_dir: o\nmax_length: 1\n",
        RewardConfig.class)).hasMessageContaining("RewardConfig").hasMessageContaining("max_length");
    assertThatThrownBy(() -> yaml.readValue("[1, 2]", SftConfig.class))
        .hasMessageContaining("expected a YAML mapping of recipe keys");
  }

  @Test
  void anEmptyRecipeIsNotAMapping(@TempDir Path dir) throws Exception {
    Path empty = Files.writeString(dir.resolve("empty.yaml"), "");
    assertThatThrownBy(() -> Recipes.loadSft(empty)).isInstanceOf(InvalidInputException.class)
        .hasMessageContaining(empty.toString()).hasMessageContaining("expected a YAML mapping of recipe keys");
    assertThat(Recipes.rewardKeys().get("model and data")).contains("test_split_size", "eval_dataset_path");
  }
}
