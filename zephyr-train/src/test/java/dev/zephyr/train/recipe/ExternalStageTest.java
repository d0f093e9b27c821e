package dev.zephyr.train.recipe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.zephyr.core.io.Json;
import dev.zephyr.train.pipeline.Artifacts;
import dev.zephyr.train.pipeline.Dsft;
import dev.zephyr.train.pipeline.External;
import dev.zephyr.train.pipeline.Pipeline;
import dev.zephyr.train.pipeline.PipelineException;
import dev.zephyr.train.pipeline.PipelineResult;
import dev.zephyr.train.pipeline.Recipe;
import dev.zephyr.train.pipeline.Stage;
import dev.zephyr.train.pipeline.StageContext;
import dev.zephyr.train.pipeline.StageManifest;
import dev.zephyr.train.pipeline.StageOutput;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pipeline's {@code external} stage: it takes a model directory our own trainer wrote (as a cluster run would
 * hand one back), records it, and the next stage gets it; a directory whose config, tokenizer or digests differ is
 * refused with a message naming what differs.
 */
class ExternalStageTest {
  @TempDir
  static Path shared;
  private static Path init;
  private static Path trained;

  @BeforeAll
  static void trainATinyModel() throws Exception {
    init = DpoResumeAfterKillTest.tinyModel(shared);
    StringBuilder rows = new StringBuilder();
    for (int i = 0; i < 4; i++) {
      rows.append(("{\"messages\": [{\"role\": \"user\", \"content\": \"Add %d and 1.\"}, {\"role\": \"assistant\","
          + " \"content\": \"%d\"}]}\n").formatted(i, i + 1));
    }
    Path data = Files.writeString(shared.resolve("sft.jsonl"), rows);
    SftConfig.Builder sft = SftConfig.builder().maxLength(32);
    sft.training().maxSteps(1).perDeviceTrainBatchSize(2).disableTqdm(true);
    trained = Pipeline.dsft(Dsft.of(new SftRun(sft.build())).fromDataset(data)).run(init, shared.resolve("cluster"))
        .finalModel();
  }

  @Test
  void acceptsOurTrainersDirectoryRecordsItAndHandsItOn(@TempDir Path tmp) throws Exception {
    Path sums = Files.writeString(tmp.resolve("SHA256SUMS"), sha256(trained.resolve("config.json"))
        + "  " + tmp.relativize(trained.resolve("config.json")) + "\n");
    AtomicReference<Path> seen = new AtomicReference<>();
    PipelineResult r = Pipeline.empty().then(External.of("dsft", trained).verifying(sums))
        .then(recorder(seen)).run(init, tmp.resolve("work"));

    assertThat(seen.get()).as("the next stage's model").isEqualTo(trained);
    assertThat(r.finalModel()).isEqualTo(trained);
    Path dir = tmp.resolve("work/01-dsft");
    StageManifest m = StageManifest.read(dir).orElseThrow();
    assertThat(m.status()).isEqualTo(StageManifest.COMPLETED);
    assertThat(m.artifacts()).containsEntry(Artifacts.MODEL, trained.toString());
    assertThat(m.config().get("model").asText()).isEqualTo(trained.toString());
    JsonNode report = Json.mapper().readTree(dir.resolve(External.REPORT).toFile());
    assertThat(report.get("vocab_size").asInt()).isEqualTo(32000);
    assertThat(report.get("architecture").asText()).isEqualTo("LlamaForCausalLM");
    assertThat(report.get("safetensors").get(0).get("file").asText()).isEqualTo("model.safetensors");
    assertThat(report.get("sha256").get(tmp.relativize(trained.resolve("config.json")).toString()).asText())
        .isEqualTo(sha256(trained.resolve("config.json")));

    // a wrong digest is refused naming the file and both digests
    Files.writeString(sums, "0".repeat(64) + "  " + tmp.relativize(trained.resolve("config.json")) + "\n");
    assertThatThrownBy(() -> Pipeline.empty().then(External.of("dsft", trained).verifying(sums))
        .run(init, tmp.resolve("work2")))
        .isInstanceOf(PipelineException.class).hasMessageContaining("config.json has sha256 "
            + sha256(trained.resolve("config.json"))).hasMessageContaining("says " + "0".repeat(64));
  }

  @Test
  void refusesAMismatchedDirectoryNamingWhatDiffers(@TempDir Path tmp) throws Exception {
    Path other = copy(trained, tmp.resolve("other"));
    ObjectNode config = (ObjectNode) Json.mapper().readTree(other.resolve("config.json").toFile());
    config.put("vocab_size", 32002).put("num_hidden_layers", 3);
    Files.writeString(other.resolve("config.json"), config.toString());
    assertThatThrownBy(() -> Pipeline.empty().external("ddpo", other).run(init, tmp.resolve("work")))
        .isInstanceOf(PipelineException.class)
        .hasMessageContaining("stage 01-ddpo")
        .hasMessageContaining("vocab_size 32002 vs 32000, num_hidden_layers 3 vs 2 (found vs expected)");

    Path noTokenizer = copy(trained, tmp.resolve("no-tokenizer"));
    Files.delete(noTokenizer.resolve("tokenizer.json"));
    assertThatThrownBy(() -> Pipeline.empty().external("ddpo", noTokenizer).run(init, tmp.resolve("work3")))
        .isInstanceOf(PipelineException.class).hasMessageContaining("has no tokenizer.json");

    Path missing = tmp.resolve("not-yet");
    assertThatThrownBy(() -> Pipeline.empty()
        .then(External.of("ddpo", missing).waitingUpTo(Duration.ofMillis(200), Duration.ofMillis(50)))
        .run(init, tmp.resolve("work4")))
        .isInstanceOf(PipelineException.class).hasMessageContaining("is not complete after waiting PT0.2S");
  }

  @Test
  void waitsForADirectoryThatArrivesWhileTheStageRuns(@TempDir Path tmp) throws Exception {
    Path arriving = tmp.resolve("arriving");
    Thread copier = new Thread(() -> {
      try {
        Thread.sleep(300);
        copy(trained, arriving);
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    copier.start();
    PipelineResult r = Pipeline.empty()
        .then(External.of("dsft", arriving).waitingUpTo(Duration.ofSeconds(30), Duration.ofMillis(100)))
        .run(init, tmp.resolve("work"));
    copier.join();
    assertThat(r.finalModel()).isEqualTo(arriving);
    assertThat(Files.readAllBytes(arriving.resolve("model.safetensors")))
        .isEqualTo(Files.readAllBytes(trained.resolve("model.safetensors")));
  }

  @Test
  void aRecipeDeclaresItWithItsOwnKeys(@TempDir Path tmp) {
    String yaml = """
        name: back
        student: init
        stages:
          - external: {model: out/01-dsft, name: dsft, sha256sums: out/01-dsft/SHA256SUMS, wait_minutes: 90}
        """;
    Recipe recipe = Recipe.parse(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8)), "back.yaml", tmp);
    Pipeline p = recipe.toPipeline(null);
    assertThat(p.plan()).containsExactly("01-dsft");
    assertThat(p.stages().get(0).config()).containsEntry("model", tmp.resolve("out/01-dsft").toString())
        .containsEntry("sha256sums", tmp.resolve("out/01-dsft/SHA256SUMS").toString());

    String typo = yaml.replace("wait_minutes", "wait_minute");
    assertThatThrownBy(() -> Recipe.parse(new ByteArrayInputStream(typo.getBytes(StandardCharsets.UTF_8)),
        "back.yaml", tmp).toPipeline(null)).hasMessageContaining("wait_minute").hasMessageContaining("wait_minutes");
  }

  private static Stage recorder(AtomicReference<Path> seen) {
    return new Stage() {
      @Override public String kind() { return "probe"; }
      @Override public Map<String, Object> config() { return Map.of(); }
      @Override public Set<String> requires() { return Set.of(Artifacts.MODEL); }
      @Override public Map<String, Path> given() { return Map.of(); }
      @Override public Set<String> produces() { return Set.of(); }
      @Override public StageOutput run(StageContext ctx) {
        seen.set(ctx.input(Artifacts.MODEL));
        return StageOutput.of(Map.of());
      }
    };
  }

  private static Path copy(Path from, Path to) throws Exception {
    Files.createDirectories(to);
    try (Stream<Path> files = Files.list(from)) {
      for (Path f : files.toList()) {
        Files.copy(f, to.resolve(f.getFileName()));
      }
    }
    return to;
  }

  private static String sha256(Path file) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
  }

}
