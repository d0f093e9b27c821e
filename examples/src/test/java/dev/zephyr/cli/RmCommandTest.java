package dev.zephyr.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.zephyr.core.io.Jsonl;
import dev.zephyr.core.model.safetensors.Safetensors;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code zephyr rm --config}: the reward recipe through the one Jackson entry, with its evaluation split. */
class RmCommandTest {

  @Test
  void trainsWithAHeldOutSplitAndLogsEvalAccuracy(@TempDir Path dir) throws Exception {
    Path model = TinyModels.withZephyrTokenizer(dir);
    StringBuilder rows = new StringBuilder();
    for (int i = 0; i < 8; i++) {
      rows.append("{\"prompt\": \"What is %d plus %d?\", \"chosen\": \"%d\", \"rejected\": \"maybe %d\"}\n"
          .formatted(i, i, 2 * i, 2 * i + 3));
    }
    Path data = Files.writeString(dir.resolve("comparisons.jsonl"), rows);
    Path yaml = Files.writeString(dir.resolve("rm.yaml"), """
        model_name_or_path: %s
        dataset_path: %s
        output_dir: %s
        max_length: 64
        per_device_train_batch_size: 2
        max_steps: 3
        logging_steps: 1
        save_steps: 0
        test_split_size: 0.25
        eval_strategy: epoch
        disable_tqdm: true
        """.formatted(model, data, dir.resolve("rm")));
    CliRun r = CliRun.of("rm", "--config", yaml.toString());
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.err()).contains("rm done: 3 steps");
    assertThat(Safetensors.readHeader(dir.resolve("rm/model.safetensors")).tensor("score.weight")).isPresent();
    List<JsonNode> evals = Jsonl.readAll(dir.resolve("rm-run/metrics.jsonl")).stream()
        .filter(n -> n.has("eval_loss")).toList();
    assertThat(evals).isNotEmpty();
    // two of eight pairs held out
    double accuracy = evals.get(evals.size() - 1).get("eval_accuracy").asDouble();
    assertThat(accuracy * 2).isEqualTo(Math.rint(accuracy * 2));
  }

  @Test
  void aMisspeltKeyOrAMissingFileExitsOneNamingIt(@TempDir Path dir) throws Exception {
    Path yaml = Files.writeString(dir.resolve("rm.yaml"), """
        model_name_or_path: m
        dataset_path: d.jsonl
        output_dir: out
        center_reward_coefficient: 0.01
        """);
    CliRun r = CliRun.of("rm", "--config", yaml.toString());
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err()).contains(yaml + ":4: field 'center_reward_coefficient': unknown key (did you mean"
        + " 'center_rewards_coefficient'?)");
    CliRun missing = CliRun.of("rm", "--config", dir.resolve("missing.yaml").toString());
    assertThat(missing.code()).isEqualTo(1);
    assertThat(missing.err()).contains("missing.yaml").doesNotContain("\tat ");
  }
}
