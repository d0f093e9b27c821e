package dev.zephyr.quickstart;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.zephyr.core.io.Json;
import dev.zephyr.core.io.Jsonl;
import dev.zephyr.core.testing.FileModes;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The quickstart with real training on the small setting: a tiny Llama pretrained on world text, dSFT on the rule-based
 * teacher's demonstrations, AI feedback from a pool of three generators rated by the rule-based judge, dDPO, and the
 * held-out evaluation. The paper's ordering must come out of the training itself: dSFT beats the base model and
 * dSFT + dDPO beats dSFT.
 */
class QuickstartTrainedTest {
  @TempDir Path work;

  @Test
  void realTrainingReproducesTheAblationOrdering() throws Exception {
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(buf, true, StandardCharsets.UTF_8);
    QuickstartResults r = new Quickstart(QuickstartWorld.small(42), new TrainedStages(TrainedStages.Settings.small()),
        out).run(work);
    String printed = buf.toString(StandardCharsets.UTF_8);

    double base = r.row("base").judgeScore();
    double dsft = r.row("dsft").judgeScore();
    double both = r.row("dsft+ddpo").judgeScore();
    assertThat(dsft).as(printed).isGreaterThan(base);
    assertThat(both).as(printed).isGreaterThan(dsft);
    assertThat(r.row("dsft+ddpo").winRateVsDsft()).as(printed).isGreaterThan(0.5);
    // DPO learned to separate chosen from rejected on its training pairs
    assertThat(r.dpo().rewardsAccuracies()).as(printed).isGreaterThan(0.5);
    assertThat(r.dpo().rewardsMargins()).as(printed).isGreaterThan(0.0);

    // real artifacts: Hugging Face model directories holding the model and tokenizer only, the trainers' metrics
    // and checkpoints in each stage's run directory, the pool's samples
    for (String stage : List.of("base/01-pretrain", "zephyr/01-dsft", "zephyr/03-ddpo", "ablation/02-ddpo")) {
      assertThat(listing(work.resolve(stage).resolve("model"))).as(stage).containsExactlyInAnyOrder("config.json",
          "generation_config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json",
          "special_tokens_map.json");
      assertThat(listing(work.resolve(stage).resolve("run"))).as(stage).contains("metrics.jsonl")
          .anyMatch(n -> n.startsWith("checkpoint-"));
    }
    assertThat(work.resolve("zephyr/03-ddpo/run/ref_cache")).isDirectory();
    // each training stage's manifest records the config record it trained with: the keys the trainer stored with
    // its checkpoint (what a resume compares) have the same values in the manifest, DPO's loss among them
    for (String stage : List.of("base/01-pretrain", "zephyr/01-dsft", "zephyr/03-ddpo", "ablation/02-ddpo")) {
      JsonNode recorded = Json.mapper().readTree(work.resolve(stage).resolve("manifest.json").toFile())
          .path("config").path("stage");
      JsonNode trained = Json.mapper().readTree(checkpoint(work.resolve(stage).resolve("run"))
          .resolve("training_config.json").toFile()).path("config");
      assertThat(trained.size()).as(stage).isGreaterThan(10);
      trained.fieldNames().forEachRemaining(key -> {
        if (!key.equals("seed")) { // the pipeline's seed, which the manifest records beside the config
          JsonNode inManifest = recorded.path(key);
          JsonNode value = trained.get(key);
          if (value.isNumber()) {
            assertThat(inManifest.isNumber() ? inManifest.doubleValue() : Double.NaN).as(stage + " " + key)
                .isEqualTo(value.doubleValue());
          } else {
            assertThat(inManifest).as(stage + " " + key).isEqualTo(value);
          }
        }
      });
    }
    JsonNode dpoConfig = Json.mapper().readTree(work.resolve("zephyr/03-ddpo/manifest.json").toFile())
        .path("config").path("stage");
    assertThat(dpoConfig.path("beta").asDouble()).isEqualTo(0.1);
    assertThat(dpoConfig.path("loss_type").toString()).isEqualTo("[\"sigmoid\",\"sft\"]");
    assertThat(dpoConfig.path("loss_weights").toString()).isEqualTo("[1.0,1.0]");
    assertThat(dpoConfig.path("label_smoothing").asDouble()).isEqualTo(0.0);
    assertThat(dpoConfig.path("precompute_ref_log_probs").asBoolean()).isTrue();
    assertThat(dpoConfig.path("max_steps").asLong()).isEqualTo(80);
    List<JsonNode> dpoMetrics = Jsonl.readAll(work.resolve("zephyr/03-ddpo/run/metrics.jsonl"));
    assertThat(dpoMetrics).isNotEmpty();
    // the results carry DPO's last logged step
    JsonNode lastDpoStep = dpoMetrics.get(dpoMetrics.size() - 1);
    assertThat(r.dpo().rewardsAccuracies()).isEqualTo(lastDpoStep.get("rewards/accuracies").asDouble());
    assertThat(r.dpo().rewardsMargins()).isEqualTo(lastDpoStep.get("rewards/margins").asDouble());
    assertThat(Jsonl.readAll(work.resolve("zephyr/02-aif/completions.jsonl")).get(0).get("models"))
        .extracting(n -> n.asText()).containsExactlyInAnyOrder("base", "dsft-hot", "noisy-teacher", "teacher");
    assertThat(work.resolve(QuickstartCharts.TRAINING)).exists();
    assertThat(work.resolve(QuickstartCharts.DPO)).exists();
    // results, charts, models and tokenizer files are readable like any file the user makes (0644 under umask 022)
    if (FileModes.posix(work)) {
      FileModes.assertOrdinaryBelow(work);
    }
  }

  private static Path checkpoint(Path runDir) throws IOException {
    try (Stream<Path> s = Files.list(runDir)) {
      return s.filter(p -> p.getFileName().toString().startsWith("checkpoint-")).findFirst().orElseThrow();
    }
  }

  private static List<String> listing(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }
}
