package dev.zephyr.train.recipe;

import static org.assertj.core.api.Assertions.assertThat;

import dev.zephyr.train.dpo.DpoLossType;
import dev.zephyr.train.loop.MetricsLog;
import dev.zephyr.train.loop.Trainer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the ready stages record: their hyper-parameters under TRL names, and the trainer's final metrics. */
class ReadyStagesTest {

  @Test
  void finalMetricsAreTheLastLoggedValueOfEachKeyPlusMeanLossAndRuntime(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("metrics.jsonl");
    Files.writeString(file, """
        {"loss":2.0,"rewards/accuracies":0.25,"step":5,"tag":"x"}
        {"loss":1.5,"step":10}

        {"loss":1.0,"rewards/accuracies":0.75,"step":15}
        {"loss":0.5,"ste""");
    Map<String, Double> last = MetricsLog.lastValues(file);
    assertThat(last).containsExactly(Map.entry("loss", 1.0), Map.entry("rewards/accuracies", 0.75),
        Map.entry("step", 15.0));
    assertThat(MetricsLog.lastValues(dir.resolve("missing.jsonl"))).isEmpty();

    Map<String, Double> m = SftRun.finalMetrics(new Trainer.TrainResult(15, 1.25, 900, 3.5, 0, last));
    assertThat(m).containsEntry("loss", 1.0).containsEntry("rewards/accuracies", 0.75)
        .containsEntry("train_loss", 1.25).containsEntry("train_runtime", 3.5);
    assertThat(SftRun.finalMetrics(new Trainer.TrainResult(15, Double.NaN, 900, 0.1, 15, last)))
        .as("a run resumed at its end ran no step: no mean loss").doesNotContainKey("train_loss");
  }

  @Test
  void configsAreRecordedUnderTrlNamesWithoutPaths() {
    SftConfig.Builder sft = SftConfig.builder().maxLength(512).packing(true);
    sft.training().learningRate(2e-5).numTrainEpochs(1);
    Map<String, Object> s = new SftRun(sft.build()).config();
    assertThat(s).containsEntry("max_length", 512).containsEntry("packing", true).containsEntry("loss_mode", "all")
        .containsEntry("learning_rate", 2e-5).containsEntry("num_train_epochs", 1.0)
        .containsEntry("lr_scheduler_type", "linear").doesNotContainKeys("output_dir", "model_name_or_path");

    DpoConfig.Builder dpo = DpoConfig.builder().beta(0.01).lossTypes(List.of(DpoLossType.SIGMOID, DpoLossType.SFT))
        .lossWeights(List.of(1.0, 0.2));
    assertThat(dpo.build().outputDir()).isEqualTo(Path.of("trainer_output"));
    assertThat(dpo.build().runDir()).isEqualTo(Path.of("trainer_output-run"));
    Map<String, Object> d = new DpoRun(dpo.build()).config();
    assertThat(d).containsEntry("beta", 0.01).containsEntry("loss_type", List.of("sigmoid", "sft"))
        .containsEntry("loss_weights", List.of(1.0, 0.2)).containsEntry("learning_rate", 1e-6)
        .doesNotContainKey("ref_model_name_or_path");
  }

  @Test
  void aifOptionsAreBoundOnceWithTheirYamlNamesAndAStageSeedIsKept(@TempDir Path dir) {
    Map<String, Object> options = Map.of("prompts", "prompts.jsonl", "completions_per_prompt", 3,
        "pool", List.of(Map.of("name", "a", "base_url", "http://x/v1", "model", "m", "max_retries", 2)),
        "judge", Map.of("base_url", "http://x/v1", "model", "j"),
        "student_sampling", Map.of("temperature", 1.0, "max_tokens", 4));
    AifRun run = AifRun.fromOptions(options, "recipe stage aif", dir);
    Map<String, Object> c = run.config();
    assertThat(c).containsEntry("prompts", dir.resolve("prompts.jsonl").toString())
        .containsEntry("completions_per_prompt", 3).containsEntry("rubric", "overall")
        .containsEntry("binarize", Map.of("chosen", "overall", "rejected", "random", "ties", "keep"))
        .containsEntry("student_sampling", Map.of("temperature", 1.0, "max_tokens", 4, "use_principles", true))
        .doesNotContainKeys("seed", "output_dir");
    assertThat(c.get("pool")).as("endpoint plumbing such as retries is not part of the result")
        .isEqualTo(List.of(Map.of("name", "a", "base_url", "http://x/v1", "model", "m", "use_principles", true)));

    Map<String, Object> seeded = new java.util.HashMap<>(options);
    seeded.put("seed", 7);
    assertThat(AifRun.fromOptions(seeded, "recipe stage aif", dir).config()).containsEntry("seed", 7L);
    Map<String, Object> typo = new java.util.HashMap<>(options);
    typo.put("completions_per_promt", 3);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> AifRun.fromOptions(typo, "recipe stage aif", dir))
        .hasMessageContaining("recipe stage aif").hasMessageContaining("completions_per_promt");
  }
}
