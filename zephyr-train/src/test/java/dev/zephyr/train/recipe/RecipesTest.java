package dev.zephyr.train.recipe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.zephyr.train.data.DatasetSource;
import dev.zephyr.core.InvalidInputException;
import dev.zephyr.core.tokenizer.LossMode;
import dev.zephyr.train.dpo.DpoLossType;
import dev.zephyr.train.optim.OptimizerName;
import dev.zephyr.train.optim.SchedulerType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RecipesTest {

  @Test
  void loadsAHandbookStyleDpoRecipe(@TempDir Path dir) throws Exception {
    Path yaml = dir.resolve("config_full.yaml");
    Files.writeString(yaml, """
        # Model arguments
        model_name_or_path: /models/zephyr-7b-sft-full
        torch_dtype: null
        dataset_mixture:
          datasets:
            - id: /data/ultrafeedback_binarized.jsonl
              columns: [chosen, rejected]
              weight: 1.0
          test_split_size: 2000
        bf16: false
        optim: adamw_torch
        beta: 0.01
        do_eval: true
        gradient_accumulation_steps: 2
        gradient_checkpointing: true
        learning_rate: 5.0e-7
        loss_type: [sigmoid, sft]
        loss_weights: [1.0, 0.2]
        lr_scheduler_type: cosine
        max_length: 1024
        max_prompt_length: 512
        num_train_epochs: 1
        output_dir: data/zephyr-7b-dpo-full
        per_device_train_batch_size: 8
        push_to_hub: true
        save_strategy: "steps"
        save_steps: 100
        seed: 42
        warmup_ratio: 0.1
        """);
    DpoConfig c = Recipes.loadDpo(yaml);
    assertThat(c.modelNameOrPath()).isEqualTo(Path.of("/models/zephyr-7b-sft-full"));
    assertThat(c.datasetMixture().datasets()).containsExactly(new DatasetSource("/data/ultrafeedback_binarized.jsonl",
        null, "train", List.of("chosen", "rejected"), 1.0));
    assertThat(c.datasetMixture().testSplitSize()).isEqualTo(2000.0);
    assertThat(c.loss().beta()).isEqualTo(0.01);
    assertThat(c.loss().lossTypes()).containsExactly(DpoLossType.SIGMOID, DpoLossType.SFT);
    assertThat(c.loss().lossWeights()).containsExactly(1.0, 0.2);
    assertThat(c.maxLength()).isEqualTo(1024);
    assertThat(c.training().learningRate()).isEqualTo(5e-7);
    assertThat(c.training().lrSchedulerType()).isEqualTo(SchedulerType.COSINE);
    assertThat(c.training().warmupRatio()).isEqualTo(0.1);
    assertThat(c.training().numTrainEpochs()).isEqualTo(1.0);
    assertThat(c.training().perDeviceTrainBatchSize()).isEqualTo(8);
    assertThat(c.training().gradientAccumulationSteps()).isEqualTo(2);
    assertThat(c.training().saveSteps()).isEqualTo(100);
    assertThat(c.outputDir()).isEqualTo(Path.of("data/zephyr-7b-dpo-full"));
    assertThat(c.runDir()).as("default run_dir beside output_dir").isEqualTo(Path.of("data/zephyr-7b-dpo-full-run"));
    assertThat(c.precomputeRefLogProbs()).isFalse();
    assertThat(c.pairsPerForward()).as("default: chosen by DpoTask").isZero();
    assertThat(c.training().gradientCheckpointing()).isTrue();
    assertThat(DpoConfig.builder(dir).build().training().gradientCheckpointing()).as("TRL's default").isTrue();

    Files.writeString(yaml, Files.readString(yaml) + "precompute_ref_log_probs: true\npairs_per_forward: 2\n");
    DpoConfig split = Recipes.loadDpo(yaml);
    assertThat(split.precomputeRefLogProbs()).isTrue();
    assertThat(split.pairsPerForward()).isEqualTo(2);
    Files.writeString(yaml, Files.readString(yaml).replace("pairs_per_forward: 2", "pairs_per_forward: -1"));
    assertThatThrownBy(() -> Recipes.loadDpo(yaml)).hasMessageContaining("pairs_per_forward must be >= 0, got -1")
        .hasMessageContaining(yaml.toString());
  }

  @Test
  void loadsAnSftRecipeWithTrlKeysAndRejectsBadValues(@TempDir Path dir) throws Exception {
    Path yaml = dir.resolve("sft.yaml");
    Files.writeString(yaml, """
        model_name_or_path: /m
        dataset_path: /d/ultrachat.jsonl
        max_seq_length: 2048
        packing: true
        assistant_only_loss: true
        learning_rate: 2.0e-05
        lr_scheduler_type: cosine
        warmup_ratio: 0.1
        output_dir: /out
        gradient_checkpointing: false
        """);
    SftConfig c = Recipes.loadSft(yaml);
    assertThat(c.training().gradientCheckpointing()).as("turned off in the YAML").isFalse();
    assertThat(c.maxLength()).isEqualTo(2048);
    assertThat(c.packing()).isTrue();
    assertThat(c.lossMode()).isEqualTo(LossMode.ASSISTANT_ONLY);
    assertThat(c.training().learningRate()).isEqualTo(2e-5);
    Files.writeString(yaml, "model_name_or_path: /m\ndataset_path: /d\noutput_dir: /o\nlr_scheduler_type: zigzag\n");
    assertThatThrownBy(() -> Recipes.loadSft(yaml)).isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("lr_scheduler_type").hasMessageContaining("zigzag");
    Files.writeString(yaml, "model_name_or_path: /m\noutput_dir: /o\n");
    assertThatThrownBy(() -> Recipes.loadSft(yaml)).hasMessageContaining("dataset_path");
    Files.writeString(yaml, "model_name_or_path: /m\ndataset_path: /d\noutput_dir: /o\nlearning_rate: fast\n");
    assertThatThrownBy(() -> Recipes.loadSft(yaml)).hasMessageContaining("learning_rate")
        .hasMessageContaining("fast");
  }

  @Test
  void zephyrPresetsAsPublished() {
    SftConfig sft = Recipes.zephyr7bBetaSft(Path.of("o")).build();
    assertThat(sft.training().learningRate()).isEqualTo(2e-5);
    assertThat(sft.training().lrSchedulerType()).isEqualTo(SchedulerType.COSINE);
    assertThat(sft.training().warmupRatio()).isEqualTo(0.1);
    assertThat(sft.training().numTrainEpochs()).isEqualTo(1.0);
    assertThat(sft.maxLength()).isEqualTo(2048);
    DpoConfig dpo = Recipes.zephyr7bBetaDpo(Path.of("o")).build();
    assertThat(dpo.loss().beta()).isEqualTo(0.1);
    assertThat(dpo.training().learningRate()).isEqualTo(5e-7);
    assertThat(dpo.training().numTrainEpochs()).isEqualTo(3.0);
    assertThat(dpo.training().lrSchedulerType()).isEqualTo(SchedulerType.LINEAR);
    assertThat(dpo.training().perDeviceTrainBatchSize() * dpo.training().gradientAccumulationSteps())
        .isEqualTo(32);
    DpoConfig now = Recipes.handbookDpo(Path.of("o")).build();
    assertThat(now.loss().beta()).isEqualTo(0.01);
    assertThat(now.training().numTrainEpochs()).isEqualTo(1.0);
    assertThat(now.training().lrSchedulerType()).isEqualTo(SchedulerType.COSINE);
    assertThat(now.loss().lossTypes()).isEqualTo(List.of(DpoLossType.SIGMOID));
    assertThat(now.lora()).isNull();
    DpoConfig lora = Recipes.handbookDpoLora(Path.of("o")).build();
    assertThat(lora.loss().beta()).isEqualTo(0.01);
    assertThat(lora.training().learningRate()).isEqualTo(5e-6);
    assertThat(lora.training().lrSchedulerType()).isEqualTo(SchedulerType.COSINE);
    assertThat(lora.training().warmupRatio()).isEqualTo(0.1);
    assertThat(lora.training().numTrainEpochs()).isEqualTo(1.0);
    assertThat(lora.training().perDeviceTrainBatchSize()).isEqualTo(4);
    assertThat(lora.training().gradientAccumulationSteps()).isEqualTo(4);
    assertThat(lora.training().optim()).isEqualTo(OptimizerName.PAGED_ADAMW_32BIT);
    assertThat(lora.maxLength()).isEqualTo(1024);
    assertThat(List.of(lora.lora().r(), lora.lora().loraAlpha(), lora.lora().loraDropout()))
        .containsExactly(128, 128.0, 0.05);
    assertThat(lora.lora().targetModules()).containsExactly("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj",
        "up_proj", "down_proj");
  }

  @Test
  void runDirIsItsOwnKeyBesideOutputDirByDefaultAndNeverInsideIt(@TempDir Path dir) throws Exception {
    Path yaml = dir.resolve("sft.yaml");
    Files.writeString(yaml, "model_name_or_path: /m\ndataset_path: /d\noutput_dir: out/zephyr-sft\n");
    SftConfig byDefault = Recipes.loadSft(yaml);
    assertThat(byDefault.outputDir()).isEqualTo(Path.of("out/zephyr-sft"));
    assertThat(byDefault.runDir()).isEqualTo(Path.of("out/zephyr-sft-run"));

    Files.writeString(yaml, "model_name_or_path: /m\ndataset_path: /d\noutput_dir: out/m\nrun_dir: /scratch/r\n");
    SftConfig given = Recipes.loadSft(yaml);
    assertThat(given.runDir()).isEqualTo(Path.of("/scratch/r"));
    assertThat(given.training().outputDir()).as("the trainer works in run_dir").isEqualTo(Path.of("/scratch/r"));

    for (String bad : List.of("out/m", "out/m/checkpoints", "./out/m")) {
      Files.writeString(yaml, "model_name_or_path: /m\ndataset_path: /d\noutput_dir: out/m\nrun_dir: " + bad + "\n");
      assertThatThrownBy(() -> Recipes.loadDpo(yaml)).as(bad).isInstanceOf(InvalidInputException.class)
          .hasMessageContaining("sft.yaml").hasMessageContaining("run_dir").hasMessageContaining("out/m-run");
    }
    assertThatThrownBy(() -> DpoConfig.builder(Path.of("o")).runDir(Path.of("o/run")).build())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("inside");
  }

  @Test
  void theDefaultRunDirIsASiblingEvenForDotPaths() {
    assertThat(RunDirs.besides(Path.of("a/b/"))).isEqualTo(Path.of("a/b-run"));
    assertThat(RunDirs.besides(Path.of("model"))).isEqualTo(Path.of("model-run"));
    Path cwd = Path.of("").toAbsolutePath();
    assertThat(RunDirs.besides(Path.of("."))).isEqualTo(cwd.resolveSibling(cwd.getFileName() + "-run"));
  }

  @Test
  void outOfRangeTrainingValuesNameTheFieldAndTheRecipeFile(@TempDir Path dir) throws Exception {
    Path yaml = dir.resolve("sft.yaml");
    String base = "model_name_or_path: /m\ndataset_path: /d\noutput_dir: /o\n";
    for (String[] bad : new String[][] {{"adam_beta2: 1.5", "adam_beta2", "1.5"}, {"adam_beta1: -0.1", "adam_beta1",
        "-0.1"}, {"adam_epsilon: Infinity", "adam_epsilon", "Infinity"}, {"weight_decay: NaN", "weight_decay", "NaN"},
        {"max_length: 1", "max_length", "1"}, {"disable_tqdm: maybe", "disable_tqdm", "maybe"}}) {
      Files.writeString(yaml, base + bad[0] + "\n");
      assertThatThrownBy(() -> Recipes.loadSft(yaml)).as(bad[0]).isInstanceOf(InvalidInputException.class)
          .hasMessageStartingWith(yaml.toString()).hasMessageContaining("field '" + bad[1] + "'")
          .hasMessageContaining(bad[2]);
      Path dpo = dir.resolve("dpo.yaml");
      Files.writeString(dpo, base + bad[0] + "\n");
      assertThatThrownBy(() -> Recipes.loadDpo(dpo)).as(bad[0]).isInstanceOf(InvalidInputException.class)
          .hasMessageStartingWith(dpo.toString()).hasMessageContaining("field '" + bad[1] + "'");
    }
  }

  @Test
  void allowConfigChangeIsARecipeKeyOffByDefault(@TempDir Path dir) throws Exception {
    Path yaml = dir.resolve("dpo.yaml");
    Files.writeString(yaml, "model_name_or_path: /m\ndataset_path: /d\noutput_dir: /o\n");
    assertThat(Recipes.loadDpo(yaml).training().allowConfigChange()).isFalse();
    Files.writeString(yaml, Files.readString(yaml) + "allow_config_change: true\n");
    DpoConfig c = Recipes.loadDpo(yaml);
    assertThat(c.training().allowConfigChange()).isTrue();
    assertThat(c.training().hfKeys()).as("not a hyper-parameter").doesNotContainKey("allow_config_change");
    assertThat(new DpoRun(c).config()).doesNotContainKey("allow_config_change");
    assertThat(c.taskKeys()).containsOnlyKeys("beta", "loss_type", "loss_weights", "label_smoothing", "max_length");
  }

  @Test
  void optimSelectsTheOptimizerAndAnythingElseIsRefusedNamingTheSupportedOnes(@TempDir Path dir) throws Exception {
    Path yaml = dir.resolve("dpo.yaml");
    String base = "model_name_or_path: /m\ndataset_path: /d\noutput_dir: /o\n";
    Files.writeString(yaml, base);
    assertThat(Recipes.loadDpo(yaml).training().optim()).isEqualTo(OptimizerName.ADAMW_TORCH);
    Files.writeString(yaml, base + "optim: rmsprop\n");
    DpoConfig rmsprop = Recipes.loadDpo(yaml);
    assertThat(rmsprop.training().optim()).isEqualTo(OptimizerName.RMSPROP);
    assertThat(rmsprop.training().hfKeys()).containsEntry("optim", "rmsprop");
    // RMSprop and Adafactor take none of the adam_* values, so a checkpoint does not compare them
    assertThat(rmsprop.training().resultKeys()).containsEntry("optim", "rmsprop")
        .doesNotContainKeys("adam_beta1", "adam_beta2", "adam_epsilon");
    Files.writeString(yaml, base + "optim: paged_adamw_32bit\n");
    assertThat(Recipes.loadSft(yaml).training().optim().algorithm()).isEqualTo(OptimizerName.Algorithm.ADAMW);
    Files.writeString(yaml, base + "optim: adamw_8bit\n");
    assertThatThrownBy(() -> Recipes.loadSft(yaml)).isInstanceOf(InvalidInputException.class)
        .hasMessageStartingWith(yaml.toString()).hasMessageContaining("field 'optim'")
        .hasMessageContaining("adamw_8bit").hasMessageContaining("8 bits")
        .hasMessageContaining("supported: adamw_torch, adamw_torch_fused, paged_adamw_32bit, rmsprop, adafactor");
  }

  @Test
  void aMisspeltKeyIsRefusedWithTheFileTheLineAndTheClosestKey(@TempDir Path dir) throws Exception {
    Path yaml = dir.resolve("sft.yaml");
    Files.writeString(yaml, """
        model_name_or_path: /m
        dataset_path: /d.jsonl
        output_dir: out
        learing_rate: 5.0e-7
        """);
    assertThatThrownBy(() -> Recipes.loadSft(yaml)).isInstanceOfSatisfying(InvalidInputException.class, e -> {
      assertThat(e.source()).isEqualTo(yaml.toString());
      assertThat(e.line()).isEqualTo(4);
      assertThat(e.field()).isEqualTo("learing_rate");
      assertThat(e).hasMessageContaining("did you mean 'learning_rate'?");
    });
    // options built in code (a pipeline stage) name their source and have no line
    assertThatThrownBy(() -> Recipes.dpo(java.util.Map.of("model_name_or_path", "/m", "dataset_path", "/d",
        "output_dir", "o", "bta", 0.1), "recipe stage ddpo"))
        .isInstanceOf(InvalidInputException.class)
        .hasMessage("recipe stage ddpo: field 'bta': unknown key (did you mean 'beta'?)");
  }

  @Test
  void keysThatWouldChangeTrainingButAreNotImplementedAreRefusedByName(@TempDir Path dir) throws Exception {
    String base = "model_name_or_path: /m\ndataset_path: /d.jsonl\noutput_dir: out\n";
    Path yaml = dir.resolve("dpo.yaml");
    for (String line : List.of("truncation_mode: keep_end")) {
      Files.writeString(yaml, base + line + "\n");
      String key = line.substring(0, line.indexOf(':'));
      assertThatThrownBy(() -> Recipes.loadDpo(yaml)).as(line).isInstanceOfSatisfying(InvalidInputException.class,
          e -> {
            assertThat(e.field()).isEqualTo(key);
            assertThat(e.line()).isEqualTo(4);
            assertThat(e).hasMessageContaining("not supported yet");
          });
    }
    // the values that leave the run as zephyr trains it pass
    Files.writeString(yaml, base + "bf16: false\nuse_peft: false\noptim: adamw_torch\neval_strategy: \"no\"\n");
    assertThat(Recipes.loadDpo(yaml).datasetMixture().datasets()).extracting(d -> d.id()).containsExactly("/d.jsonl");
    Files.writeString(yaml, base + "optim: adamw_torch_fused\neval_strategy: no\n");
    assertThat(Recipes.loadDpo(yaml).datasetMixture().datasets()).as("bare no, however YAML reads it").hasSize(1);
  }

  @Test
  void readsTheHeldOutSplitAndTheEvaluationKeys(@TempDir Path dir) throws Exception {
    Path yaml = dir.resolve("sft.yaml");
    String base = "model_name_or_path: /m\noutput_dir: out\n";
    Files.writeString(yaml, base + """
        dataset_mixture:
          datasets: [{id: /d.jsonl}]
          seed: 3
          test_split_size: 1000
        eval_strategy: steps
        eval_steps: 100
        per_device_eval_batch_size: 4
        neftune_noise_alpha: 5
        """);
    SftConfig c = Recipes.loadSft(yaml);
    assertThat(c.evalData().holdOut()).isEqualTo(new dev.zephyr.train.data.HoldOut(1000, 3));
    assertThat(c.training().evalStrategy()).isEqualTo(dev.zephyr.train.loop.IntervalStrategy.STEPS);
    assertThat(c.training().evalInterval(5000)).isEqualTo(100);
    assertThat(c.training().perDeviceEvalBatchSize()).isEqualTo(4);
    assertThat(c.training().neftuneNoiseAlpha()).isEqualTo(5.0);
    assertThat(c.taskKeys()).as("the split decides which rows train").containsEntry("test_split_size", 1000L)
        .containsEntry("test_split_seed", 3L);
    assertThat(c.training().resultKeys()).containsEntry("neftune_noise_alpha", 5.0).doesNotContainKey("eval_steps");

    Files.writeString(yaml, base + "dataset_path: /d.jsonl\ntest_split_size: 0.1\neval_strategy: no\n");
    DpoConfig d = Recipes.loadDpo(yaml);
    assertThat(d.evalData().holdOut()).as("the handbook's default mixture seed")
        .isEqualTo(new dev.zephyr.train.data.HoldOut(0.1, 0));
    assertThat(d.training().evalStrategy()).as("unquoted no is YAML's false")
        .isEqualTo(dev.zephyr.train.loop.IntervalStrategy.NO);

    Files.writeString(yaml, base + "dataset_path: /d.jsonl\neval_dataset_path: [/e.jsonl]\neval_strategy: epoch\n");
    assertThat(Recipes.loadSft(yaml).evalData().files()).containsExactly(Path.of("/e.jsonl"));

    Files.writeString(yaml, base + "dataset_path: /d.jsonl\neval_strategy: steps\n");
    assertThatThrownBy(() -> Recipes.loadSft(yaml)).isInstanceOf(InvalidInputException.class)
        .hasMessageContaining(yaml.toString()).hasMessageContaining("eval_strategy")
        .hasMessageContaining("test_split_size");
    Files.writeString(yaml, base + "dataset_path: /d.jsonl\ntest_split_size: 1.5\n");
    assertThatThrownBy(() -> Recipes.loadDpo(yaml)).hasMessageContaining(yaml.toString())
        .hasMessageContaining("test_split_size").hasMessageContaining("1.5");
    Files.writeString(yaml, base + "dataset_path: /d.jsonl\ntest_split_size: 0.1\neval_dataset_path: /e.jsonl\n");
    assertThatThrownBy(() -> Recipes.loadSft(yaml)).hasMessageContaining(yaml.toString())
        .hasMessageContaining("not both");
    Files.writeString(yaml, base + "dataset_path: /d.jsonl\neval_strategy: sometimes\n");
    assertThatThrownBy(() -> Recipes.loadSft(yaml)).hasMessageContaining("eval_strategy")
        .hasMessageContaining("sometimes");
  }
}
