package dev.zephyr.train.recipe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.zephyr.core.InvalidInputException;
import dev.zephyr.core.model.lora.LoraConfig;
import dev.zephyr.train.rl.KlEstimator;
import dev.zephyr.train.rl.PpoConfig;
import dev.zephyr.train.rl.RlooConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** PPO and RLOO recipes: TRL's keys and defaults, and settings that cannot work refused with the key named. */
class RlRecipesTest {
  private static final String BASE = """
      model_name_or_path: models/sft
      reward_model_path: models/rm
      dataset_path: data/prompts.jsonl
      output_dir: out/policy
      """;

  private static Path write(Path dir, String name, String yaml) throws Exception {
    return Files.writeString(dir.resolve(name), yaml);
  }

  @Test
  void readsAPpoRecipeWithTrlKeys(@TempDir Path dir) throws Exception {
    Path yaml = write(dir, "ppo.yaml", BASE + """
        learning_rate: 1.0e-5
        per_device_train_batch_size: 4
        gradient_accumulation_steps: 2
        num_mini_batches: 2
        num_ppo_epochs: 3
        response_length: 32
        temperature: 0.9
        stop_token: eos
        missing_eos_penalty: 1.0
        kl_coef: 0.1
        kl_estimator: k3
        cliprange: 0.1
        cliprange_value: 0.3
        vf_coef: 0.2
        gamma: 0.99
        lam: 0.9
        whiten_rewards: true
        total_episodes: 1000
        exp_name: ppo_tldr
        """);
    PpoConfig c = RlRecipes.loadPpo(yaml);
    assertThat(c.modelNameOrPath()).isEqualTo(Path.of("models/sft"));
    assertThat(c.valueModelOrReward()).as("the value model starts from the reward model, as TRL's script")
        .isEqualTo(Path.of("models/rm"));
    assertThat(c.batchSize()).isEqualTo(16);
    assertThat(c.onPolicy().numPpoEpochs()).isEqualTo(3);
    assertThat(c.onPolicy().responseLength()).isEqualTo(32);
    assertThat(c.onPolicy().temperature()).isEqualTo(0.9);
    assertThat(c.onPolicy().missingEosPenalty()).isEqualTo(1.0);
    assertThat(c.onPolicy().klCoef()).isEqualTo(0.1);
    assertThat(c.onPolicy().cliprange()).isEqualTo(0.1);
    assertThat(c.onPolicy().totalEpisodes()).isEqualTo(1000L);
    assertThat(c.klEstimator()).isEqualTo(KlEstimator.K3);
    assertThat(c.cliprangeValue()).isEqualTo(0.3);
    assertThat(c.vfCoef()).isEqualTo(0.2);
    assertThat(c.gamma()).isEqualTo(0.99);
    assertThat(c.lam()).isEqualTo(0.9);
    assertThat(c.whitenRewards()).isTrue();
    assertThat(c.adaptiveKl()).as("kl_coef stays fixed unless adap_kl_ctrl").isNull();
    assertThat(c.training().learningRate()).isEqualTo(1e-5);
    assertThat(c.training().outputDir()).isEqualTo(Path.of("out/policy-run"));
  }

  @Test
  void adaptiveKlControlTakesTrlsEarlierKeys(@TempDir Path dir) throws Exception {
    PpoConfig c = RlRecipes.loadPpo(write(dir, "ppo.yaml", BASE + "adap_kl_ctrl: true\ntarget: 4\nkl_coef: 0.2\n"));
    assertThat(c.adaptiveKl()).isEqualTo(new PpoConfig.AdaptiveKl(4, 10000));
    // KL 8 against target 4: the error clips at +0.2; 500 episodes over a horizon of 10000: x 1.01
    assertThat(c.adaptiveKl().next(0.2, 8, 500)).isCloseTo(0.202, org.assertj.core.api.Assertions.within(1e-12));
    // KL 3.6 against 4: error -0.1, x 0.995
    assertThat(c.adaptiveKl().next(0.2, 3.6, 500)).isCloseTo(0.199, org.assertj.core.api.Assertions.within(1e-12));
    Path stray = write(dir, "stray.yaml", BASE + "target: 4\n");
    assertThatThrownBy(() -> RlRecipes.loadPpo(stray)).isInstanceOfSatisfying(InvalidInputException.class,
        e -> assertThat(e.field()).isEqualTo("target")).hasMessageContaining("adap_kl_ctrl");
  }

  @Test
  void trlDefaultsApplyWhenKeysAreAbsent(@TempDir Path dir) throws Exception {
    PpoConfig c = RlRecipes.loadPpo(write(dir, "ppo.yaml", BASE));
    assertThat(c.onPolicy().responseLength()).isEqualTo(53);
    assertThat(c.onPolicy().temperature()).isEqualTo(0.7);
    assertThat(c.onPolicy().klCoef()).isEqualTo(0.05);
    assertThat(c.onPolicy().numPpoEpochs()).isEqualTo(4);
    assertThat(c.klEstimator()).isEqualTo(KlEstimator.K1);
    assertThat(c.vfCoef()).isEqualTo(0.1);
    assertThat(c.gamma()).isEqualTo(1.0);
    assertThat(c.lam()).isEqualTo(0.95);
    assertThat(c.training().learningRate()).isEqualTo(3e-6);
    RlooConfig r = RlRecipes.loadRloo(write(dir, "rloo.yaml", BASE));
    assertThat(r.rlooK()).isEqualTo(2);
    assertThat(r.normalizeAdvantage()).isFalse();
  }

  @Test
  void readsAnRlooRecipeWithEitherNameForK(@TempDir Path dir) throws Exception {
    String batch = "per_device_train_batch_size: 4\ngradient_accumulation_steps: 2\n";
    RlooConfig c = RlRecipes.loadRloo(write(dir, "a.yaml", BASE + batch + "rloo_k: 4\nnormalize_advantage: true\n"));
    assertThat(c.rlooK()).isEqualTo(4);
    assertThat(c.normalizeAdvantage()).isTrue();
    assertThat(RlRecipes.loadRloo(write(dir, "b.yaml", BASE + batch + "num_generations: 8\n")).rlooK()).isEqualTo(8);
  }

  @Test
  void settingsThatCannotWorkAreRefusedNamingTheKey(@TempDir Path dir) throws Exception {
    String[][] rloo = {
        {"rloo_k: 1\n", "rloo_k", "at least 2"},
        {"per_device_train_batch_size: 3\nrloo_k: 2\n", "rloo_k", "= 3 completions is not a multiple of rloo_k = 2"},
        {"rloo_k: 2\nnum_generations: 2\n", "num_generations", "set one"},
        {"num_mini_batches: 0\n", "num_mini_batches", "at least 1"},
        {"temperature: 0\n", "temperature", "> 0"},
        {"eval_strategy: steps\n", "eval_strategy", "no evaluation loop"},
        {"neftune_noise_alpha: 5\n", "neftune_noise_alpha", "applies to SFT only"},
    };
    for (String[] bad : rloo) {
      Path yaml = write(dir, "bad.yaml", BASE + bad[0]);
      assertThatThrownBy(() -> RlRecipes.loadRloo(yaml)).as(bad[0]).isInstanceOfSatisfying(
          InvalidInputException.class, e -> {
            assertThat(e.field()).isEqualTo(bad[1]);
            assertThat(e.source()).isEqualTo(yaml.toString());
          }).hasMessageContaining(bad[2]);
    }
    String[][] ppo = {
        {"kl_estimator: k2\n", "kl_estimator", "[k1, k3]"},
        {"lam: 1.5\n", "lam", "[0, 1]"},
        {"stop_token: newline\n", "stop_token", "expected eos"},
        {"missing_eos_penalty: -1\n", "missing_eos_penalty", ">= 0"},
    };
    for (String[] bad : ppo) {
      Path yaml = write(dir, "bad.yaml", BASE + bad[0]);
      assertThatThrownBy(() -> RlRecipes.loadPpo(yaml)).as(bad[0]).isInstanceOfSatisfying(
          InvalidInputException.class, e -> assertThat(e.field()).isEqualTo(bad[1])).hasMessageContaining(bad[2]);
    }
  }

  @Test
  void peftKeysAreReadAsTheSftAndDpoRecipesReadThem(@TempDir Path dir) throws Exception {
    String peft = """
        use_peft: true
        lora_r: 8
        lora_alpha: 16
        lora_dropout: 0.1
        lora_target_modules: all-linear
        lora_modules_to_save: [lm_head]
        use_rslora: true
        """;
    PpoConfig ppo = RlRecipes.loadPpo(write(dir, "ppo.yaml", BASE + peft));
    LoraConfig expected = new LoraConfig(8, 16, 0.1, List.of("all-linear"), true, List.of("lm_head"), null);
    assertThat(ppo.lora()).isEqualTo(expected);
    assertThat(ppo.lora().targetModules()).hasSize(7);
    assertThat(ppo.taskKeys()).containsEntry("use_peft", true).containsEntry("lora_r", 8)
        .containsEntry("use_rslora", true);
    RlooConfig rloo = RlRecipes.loadRloo(write(dir, "rloo.yaml", BASE + peft));
    assertThat(rloo.lora()).isEqualTo(expected);
    // the same keys and checks as SFT: the same parser
    Path sft = write(dir, "sft.yaml", "model_name_or_path: m\ndataset_path: d.jsonl\noutput_dir: o\n" + peft);
    assertThat(Recipes.loadSft(sft).lora()).isEqualTo(expected);
    assertThat(RlRecipes.loadPpo(write(dir, "none.yaml", BASE)).lora()).as("no use_peft: full training").isNull();
    assertThat(RlRecipes.ppoKeys().get("peft")).contains("use_peft", "lora_r", "lora_alpha", "lora_dropout",
        "lora_target_modules", "lora_modules_to_save", "use_rslora");
    assertThat(RlRecipes.rlooKeys().get("peft")).isEqualTo(Recipes.sftKeys().get("peft"));
    Path badRank = write(dir, "bad.yaml", BASE + "use_peft: true\nlora_r: 0\n");
    assertThatThrownBy(() -> RlRecipes.loadRloo(badRank)).isInstanceOfSatisfying(InvalidInputException.class,
        e -> assertThat(e.field()).isEqualTo("lora_r"));
    // a pipeline stage takes them too
    assertThat(RlRecipes.ppoStage(java.util.Map.of("use_peft", true, "lora_r", 4), "stage ppo").lora().r())
        .isEqualTo(4);
  }

  @Test
  void sampleGenerationsAreReadAndTheRestOfTrlsKeysWorkOrAreRefused(@TempDir Path dir) throws Exception {
    assertThat(RlRecipes.loadPpo(write(dir, "a.yaml", BASE)).onPolicy().numSampleGenerations())
        .as("TRL's default").isEqualTo(10);
    assertThat(RlRecipes.loadRloo(write(dir, "b.yaml", BASE + "num_sample_generations: 0\n")).onPolicy()
        .numSampleGenerations()).isZero();
    assertThat(RlRecipes.ppoKeys().get("on-policy")).contains("num_sample_generations");
    assertThat(RlRecipes.ppoKeys().get("no effect here")).doesNotContain("num_sample_generations");
    Path negative = write(dir, "c.yaml", BASE + "num_sample_generations: -1\n");
    assertThatThrownBy(() -> RlRecipes.loadPpo(negative)).isInstanceOfSatisfying(InvalidInputException.class,
        e -> assertThat(e.field()).isEqualTo("num_sample_generations"));
    Path sanity = write(dir, "d.yaml", BASE + "sanity_check: true\n");
    assertThatThrownBy(() -> RlRecipes.loadRloo(sanity)).isInstanceOfSatisfying(InvalidInputException.class, e -> {
      assertThat(e.field()).isEqualTo("sanity_check");
      assertThat(e.source()).isEqualTo(sanity.toString());
    }).hasMessageContaining("dataset_path");
    // naming the run and DeepSpeed's gather change nothing here: accepted
    assertThat(RlRecipes.loadPpo(write(dir, "e.yaml", BASE + "exp_name: x\nds3_gather_for_generation: false\n"
        + "sanity_check: false\n")).modelNameOrPath()).isEqualTo(Path.of("models/sft"));
  }

  @Test
  void unknownAndMissingKeysAreNamed(@TempDir Path dir) throws Exception {
    Path typo = write(dir, "typo.yaml", BASE + "kl_coeff: 0.1\n");
    assertThatThrownBy(() -> RlRecipes.loadPpo(typo)).isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("kl_coeff").hasMessageContaining("did you mean 'kl_coef'?");
    Path rlooOnly = write(dir, "rloo-key.yaml", BASE + "rloo_k: 4\n");
    assertThatThrownBy(() -> RlRecipes.loadPpo(rlooOnly)).hasMessageContaining("rloo_k");
    Path noReward = write(dir, "no-rm.yaml", BASE.replace("reward_model_path: models/rm\n", ""));
    assertThatThrownBy(() -> RlRecipes.loadPpo(noReward)).isInstanceOfSatisfying(InvalidInputException.class,
        e -> assertThat(e.field()).isEqualTo("reward_model_path"));
    Path both = write(dir, "both.yaml", BASE + "sft_model_path: models/other\n");
    assertThatThrownBy(() -> RlRecipes.loadPpo(both)).hasMessageContaining("sft_model_path");
  }

  @Test
  void aRewardModelWithAnotherTokenizerIsRefusedByName(@TempDir Path dir) throws Exception {
    Path policy = Files.createDirectories(dir.resolve("sft"));
    Path rm = Files.createDirectories(dir.resolve("rm"));
    Files.writeString(policy.resolve("tokenizer.json"), "{\"model\": \"one\"}");
    Files.writeString(rm.resolve("tokenizer.json"), "{\"model\": \"another\"}");
    PpoConfig.Builder b = PpoConfig.builder(dir.resolve("out")).modelNameOrPath(policy).rewardModelPath(rm);
    assertThatThrownBy(() -> RlRuns.ppo(b.build())).isInstanceOfSatisfying(InvalidInputException.class, e -> {
      assertThat(e.field()).isEqualTo("reward_model_path");
      assertThat(e.source()).isEqualTo(rm.toString());
    }).hasMessageContaining("tokenizer files differ from the policy's");
    RlooConfig.Builder r = RlooConfig.builder(dir.resolve("out")).modelNameOrPath(policy).rewardModelPath(rm);
    assertThatThrownBy(() -> RlRuns.rloo(r.build())).hasMessageContaining("reward_model_path");
    // a value model of its own is checked too
    Files.writeString(rm.resolve("tokenizer.json"), "{\"model\": \"one\"}");
    Path value = Files.createDirectories(dir.resolve("value"));
    assertThatThrownBy(() -> RlRuns.ppo(b.valueModelPath(value).build())).isInstanceOfSatisfying(
        InvalidInputException.class, e -> assertThat(e.field()).isEqualTo("value_model_path"));
  }
}
