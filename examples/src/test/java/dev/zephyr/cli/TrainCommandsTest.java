package dev.zephyr.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.zephyr.core.io.Jsonl;
import dev.zephyr.core.testing.FileModes;
import dev.zephyr.train.loop.Trainer;
import dev.zephyr.train.recipe.Recipes;
import dev.zephyr.train.recipe.TrainingRuns;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code zephyr sft} then {@code zephyr dpo} on a tiny model with the Zephyr tokenizer, from YAML recipes. */
class TrainCommandsTest {

  @Test
  void sftThenDpoFromRecipes(@TempDir Path dir) throws Exception {
    Path model = TinyModels.withZephyrTokenizer(dir);
    Path sftData = dir.resolve("sft.jsonl");
    Files.writeString(sftData, """
        {"messages": [{"role": "user", "content": "Name a colour."}, {"role": "assistant", "content": "Blue."}]}
        {"messages": [{"role": "user", "content": "Say hi."}, {"role": "assistant", "content": "Hi!"}]}
        {"prompt": "The sky is", "completion": " blue."}
        {"text": "A plain text example."}
        """);
    Path sftOut = dir.resolve("sft-out");
    Path sftYaml = dir.resolve("sft.yaml");
    Files.writeString(sftYaml, """
        model_name_or_path: %s
        dataset_path: %s
        max_length: 64
        packing: true
        learning_rate: 1.0e-3
        lr_scheduler_type: cosine
        warmup_ratio: 0.1
        num_train_epochs: 2
        per_device_train_batch_size: 2
        logging_steps: 1
        save_steps: 1
        save_total_limit: 1
        disable_tqdm: true
        report_to: none
        output_dir: %s
        """.formatted(model, sftData, sftOut));
    assertThat(ZephyrCli.run("sft", "--config", sftYaml.toString())).isZero();
    // output_dir is the model a user loads, nothing else; the run's bookkeeping is in the sibling run_dir
    assertThat(listing(sftOut)).containsExactlyInAnyOrder("config.json", "generation_config.json",
        "model.safetensors", "tokenizer.json", "tokenizer_config.json");
    Path sftRun = dir.resolve("sft-out-run");
    assertThat(listing(sftRun)).contains("metrics.jsonl").anyMatch(n -> n.startsWith("checkpoint-"))
        .noneMatch(n -> n.equals("model.safetensors"));
    if (FileModes.posix(dir)) {
      FileModes.assertOrdinaryBelow(dir.resolve("sft-out"));
      FileModes.assertOrdinaryBelow(sftRun);
    }
    // the same recipe again resumes from the newest checkpoint in run_dir: nothing left to train
    Trainer.TrainResult again = TrainingRuns.sft(Recipes.loadSft(sftYaml));
    assertThat(again.resumedFrom()).isEqualTo(again.globalStep()).isPositive();
    assertThat(listing(sftOut)).doesNotContain("metrics.jsonl");
    List<JsonNode> metrics = Jsonl.readAll(sftRun.resolve("metrics.jsonl"));
    assertThat(metrics).isNotEmpty();
    assertThat(metrics.get(0).get("learning_rate").asDouble()).isEqualTo(0.0); // warm-up starts at 0

    Path dpoData = dir.resolve("prefs.jsonl");
    Files.writeString(dpoData, """
        {"chosen": [{"role": "user", "content": "2+2?"}, {"role": "assistant", "content": "4."}], "rejected": [{"role": "user", "content": "2+2?"}, {"role": "assistant", "content": "5."}]}
        {"prompt": "Capital of France?", "chosen": " Paris.", "rejected": " Lyon."}
        {"prompt": [{"role": "user", "content": "Hi"}], "chosen": [{"role": "assistant", "content": "Hello!"}], "rejected": [{"role": "assistant", "content": "Go away."}]}
        """);
    Path dpoOut = dir.resolve("dpo-out");
    Path dpoYaml = dir.resolve("dpo.yaml");
    Files.writeString(dpoYaml, """
        model_name_or_path: %s
        dataset_path: %s
        beta: 0.1
        loss_type: [sigmoid, sft]
        loss_weights: [1.0, 0.5]
        precompute_ref_log_probs: true
        learning_rate: 1.0e-3
        max_steps: 3
        per_device_train_batch_size: 2
        logging_steps: 1
        save_steps: 0
        disable_tqdm: true
        output_dir: %s
        run_dir: %s
        """.formatted(sftOut, dpoData, dpoOut, dir.resolve("runs/dpo")));
    assertThat(ZephyrCli.run("dpo", "--config", dpoYaml.toString())).isZero();
    assertThat(listing(dpoOut)).containsExactlyInAnyOrder("config.json", "generation_config.json",
        "model.safetensors", "tokenizer.json", "tokenizer_config.json");
    Path dpoRun = dir.resolve("runs/dpo");
    assertThat(Files.list(dpoRun.resolve("ref_cache")).count()).isEqualTo(1);
    JsonNode first = Jsonl.readAll(dpoRun.resolve("metrics.jsonl")).get(0);
    assertThat(first.has("rewards/accuracies")).isTrue();
    // at step 1 the policy equals the reference: zero rewards
    assertThat(first.get("rewards/chosen").asDouble()).isEqualTo(0.0, org.assertj.core.data.Offset.offset(1e-4));
  }

  @Test
  void anOutputDirHoldingCheckpointsIsRefusedBeforeTraining(@TempDir Path dir) throws Exception {
    Path out = Files.createDirectories(dir.resolve("old-layout/checkpoint-10"));
    Path yaml = dir.resolve("sft.yaml");
    Files.writeString(yaml, "model_name_or_path: %s\ndataset_path: %s\noutput_dir: %s\n"
        .formatted(dir.resolve("no-model"), dir.resolve("none.jsonl"), out.getParent()));
    CliRun r = CliRun.of("sft", "--config", yaml.toString());
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err()).contains("output_dir").contains("checkpoint-10").contains("old-layout-run");
    assertThat(out).isDirectory(); // nothing was deleted
  }

  private static List<String> listing(Path dir) throws java.io.IOException {
    try (java.util.stream.Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  @Test
  void badRecipeGivesANonZeroExitAndAClearMessage(@TempDir Path dir) throws Exception {
    Path yaml = dir.resolve("bad.yaml");
    Files.writeString(yaml, "model_name_or_path: /nowhere\noutput_dir: /tmp/x\n");
    CliRun r = CliRun.of("sft", "--config", yaml.toString());
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err()).contains("dataset_path");
  }

  @Test
  void aResumeWithAnotherLearningRateIsRefusedUnlessAllowed(@TempDir Path dir) throws Exception {
    Path model = TinyModels.withZephyrTokenizer(dir);
    Path data = Files.writeString(dir.resolve("sft.jsonl"), """
        {"messages": [{"role": "user", "content": "Name a colour."}, {"role": "assistant", "content": "Blue."}]}
        {"text": "A plain text example."}
        """);
    Path out = dir.resolve("sft-out");
    String recipe = """
        model_name_or_path: %s
        dataset_path: %s
        max_length: 32
        lr_scheduler_type: constant
        max_steps: 2
        per_device_train_batch_size: 1
        logging_steps: 1
        save_steps: 1
        disable_tqdm: true
        output_dir: %s
        """.formatted(model, data, out);
    Path yaml = Files.writeString(dir.resolve("sft.yaml"), recipe + "learning_rate: 1.0e-3\n");
    assertThat(ZephyrCli.run("sft", "--config", yaml.toString())).isZero();
    Path run = dir.resolve("sft-out-run");
    deleteTree(run.resolve("checkpoint-2")); // as if killed after step 1

    Files.writeString(yaml, recipe + "learning_rate: 2.0e-3\n");
    CliRun refused = CliRun.of("sft", "--config", yaml.toString());
    assertThat(refused.code()).isEqualTo(1);
    assertThat(refused.err()).contains(run.resolve("checkpoint-1").toString())
        .contains("learning_rate: checkpoint 0.001, now 0.002").contains("--allow-config-change")
        .doesNotContain("unexpected").doesNotContain("\tat ");
    assertThat(run.resolve("checkpoint-2")).doesNotExist();

    CliRun allowed = CliRun.of("sft", "--config", yaml.toString(), "--allow-config-change");
    assertThat(allowed.code()).as(allowed.err()).isZero();
    List<JsonNode> metrics = Jsonl.readAll(run.resolve("metrics.jsonl"));
    assertThat(metrics).hasSize(2);
    assertThat(metrics.get(0).get("learning_rate").asDouble()).isEqualTo(1e-3);
    assertThat(metrics.get(1).get("learning_rate").asDouble()).as("the new rate from the resume on").isEqualTo(2e-3);
  }

  @Test
  void aDpoResumeWithAnotherBetaIsRefusedUnlessAllowed(@TempDir Path dir) throws Exception {
    Path model = TinyModels.withZephyrTokenizer(dir);
    Path data = Files.writeString(dir.resolve("prefs.jsonl"), """
        {"prompt": "Capital of France?", "chosen": " Paris.", "rejected": " Lyon."}
        {"prompt": "2+2?", "chosen": " 4.", "rejected": " 5."}
        """);
    String recipe = """
        model_name_or_path: %s
        dataset_path: %s
        precompute_ref_log_probs: true
        max_steps: 1
        per_device_train_batch_size: 2
        save_steps: 1
        disable_tqdm: true
        output_dir: %s
        """.formatted(model, data, dir.resolve("dpo-out"));
    Path yaml = Files.writeString(dir.resolve("dpo.yaml"), recipe + "beta: 0.1\n");
    assertThat(ZephyrCli.run("dpo", "--config", yaml.toString())).isZero();
    Files.writeString(yaml, recipe + "beta: 0.2\npairs_per_forward: 1\n");
    CliRun refused = CliRun.of("dpo", "--config", yaml.toString());
    assertThat(refused.code()).isEqualTo(1);
    assertThat(refused.err()).contains("beta: checkpoint 0.1, now 0.2").doesNotContain("pairs_per_forward");
    CliRun allowed = CliRun.of("dpo", "--config", yaml.toString(), "--allow-config-change");
    assertThat(allowed.code()).as(allowed.err()).isZero();
  }

  @Test
  void anOutOfRangeAdamBetaNamesTheFieldAndTheRecipe(@TempDir Path dir) throws Exception {
    Path yaml = Files.writeString(dir.resolve("sft.yaml"),
        "model_name_or_path: /m\ndataset_path: /d.jsonl\noutput_dir: %s\nadam_beta2: 1.5\n"
            .formatted(dir.resolve("out")));
    CliRun r = CliRun.of("sft", "--config", yaml.toString());
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err()).contains(yaml.toString()).contains("field 'adam_beta2'").contains("1.5")
        .doesNotContain("unexpected").doesNotContain("\tat ");
  }

  @Test
  void aTwentyMegabyteRowDoesNotStallSftDataPreparation(@TempDir Path dir) throws Exception {
    Path model = TinyModels.withZephyrTokenizer(dir);
    String huge = "The judge rates every answer twice, ".repeat(20_000_000 / 36);
    Path data = Files.writeString(dir.resolve("sft.jsonl"), "{\"text\": \"Short row.\"}\n{\"text\": \"" + huge + "\"}\n");
    Path yaml = Files.writeString(dir.resolve("sft.yaml"), """
        model_name_or_path: %s
        dataset_path: %s
        max_length: 64
        max_steps: 1
        per_device_train_batch_size: 2
        save_steps: 0
        disable_tqdm: true
        output_dir: %s
        """.formatted(model, data, dir.resolve("out")));
    long t0 = System.nanoTime();
    CliRun r = CliRun.of("--verbose", "sft", "--config", yaml.toString());
    double seconds = (System.nanoTime() - t0) / 1e9;
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.err()).contains("cut the text of 1 examples longer than 2048 characters before tokenising")
        .contains("2 examples -> 2 rows, 1 cut to the character budget");
    // tokenising the whole row alone took 46 s on the build machine
    assertThat(seconds).as("seconds for the whole command").isLessThan(20);
  }

  private static void deleteTree(Path root) throws java.io.IOException {
    try (java.util.stream.Stream<Path> s = Files.walk(root)) {
      for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
