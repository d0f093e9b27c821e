package dev.zephyr.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.zephyr.core.io.Jsonl;
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
        bf16: true
        output_dir: %s
        """.formatted(model, sftData, sftOut));
    assertThat(ZephyrCli.run("sft", "--config", sftYaml.toString())).isZero();
    for (String f : List.of("config.json", "model.safetensors", "tokenizer.json", "metrics.jsonl")) {
      assertThat(sftOut.resolve(f)).exists();
    }
    List<JsonNode> metrics = Jsonl.readAll(sftOut.resolve("metrics.jsonl"));
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
        """.formatted(sftOut, dpoData, dpoOut));
    assertThat(ZephyrCli.run("dpo", "--config", dpoYaml.toString())).isZero();
    assertThat(dpoOut.resolve("model.safetensors")).exists();
    assertThat(Files.list(dpoOut.resolve("ref_cache")).count()).isEqualTo(1);
    JsonNode first = Jsonl.readAll(dpoOut.resolve("metrics.jsonl")).get(0);
    assertThat(first.has("rewards/accuracies")).isTrue();
    // at step 1 the policy equals the reference: zero rewards
    assertThat(first.get("rewards/chosen").asDouble()).isEqualTo(0.0, org.assertj.core.data.Offset.offset(1e-4));
  }

  @Test
  void badRecipeGivesANonZeroExitAndAClearMessage(@TempDir Path dir) throws Exception {
    Path yaml = dir.resolve("bad.yaml");
    Files.writeString(yaml, "model_name_or_path: /nowhere\noutput_dir: /tmp/x\n");
    CliRun r = CliRun.of("sft", "--config", yaml.toString());
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err()).contains("dataset_path");
  }
}
