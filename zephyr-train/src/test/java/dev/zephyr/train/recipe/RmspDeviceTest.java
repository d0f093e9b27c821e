package dev.zephyr.train.recipe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.engine.Engine;
import dev.zephyr.core.InvalidInputException;
import dev.zephyr.train.pipeline.Recipe;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** RM-guided self-play honours {@code device} as the training runs do: the rmsp file's key and a recipe's. */
class RmspDeviceTest {
  private static final String RMSP = "model_name_or_path: policy\nreward_model_path: rm\noutput_dir: out\n"
      + "seeds: seeds.jsonl\n";

  @Test
  void theRmspFileReadsTheDeviceKeyAndItReachesTheRun(@TempDir Path tmp) throws Exception {
    RmspConfig c = RmspConfig.load(Files.writeString(tmp.resolve("a.yaml"), RMSP + "device: CPU\n"));
    assertThat(c.device()).isEqualTo("cpu");
    assertThat(c.run().device()).isEqualTo(Device.cpu());
    assertThat(RmspConfig.load(Files.writeString(tmp.resolve("b.yaml"), RMSP)).run().device())
        .as("DJL's default when absent").isNull();
    assertThat(c.onDevice(Device.gpu(1)).device()).as("--device wins").isEqualTo("gpu:1");
    Path bad = Files.writeString(tmp.resolve("c.yaml"), RMSP + "device: tpu\n");
    assertThatThrownBy(() -> RmspConfig.load(bad)).isInstanceOfSatisfying(InvalidInputException.class, e -> {
      assertThat(e.field()).isEqualTo("device");
      assertThat(e.source()).isEqualTo(bad.toString());
    }).hasMessageContaining("expected cpu, gpu or gpu:N");
  }

  @Test
  void aDeviceTheMachineLacksIsRefusedBeforeAnythingLoads(@TempDir Path tmp) {
    Device absent = Device.gpu(Engine.getInstance().getGpuCount());
    BestOfNRun run = new BestOfNRun(BestOfNConfig.of(tmp.resolve("no-seeds.jsonl")), absent);
    // neither the models nor the seeds exist: a run that loaded first would fail on them instead
    assertThatThrownBy(() -> run.play(tmp.resolve("no-policy"), tmp.resolve("no-rm"), tmp.resolve("out"), 1))
        .isInstanceOfSatisfying(InvalidInputException.class, e -> {
          assertThat(e.field()).isEqualTo("device");
          assertThat(e.reason()).contains(" does not exist here");
        });
    assertThat(tmp.resolve("out")).doesNotExist();
  }

  @Test
  void aRecipesDeviceReachesItsSelfPlayStage(@TempDir Path tmp) {
    String yaml = "student: s\ndevice: cpu\nstages:\n  - rm: {comparisons: c.jsonl}\n"
        + "  - rmsp: {seeds: seeds.jsonl, best_of: 2}\n  - bon: {seeds: seeds.jsonl, device: gpu:3}\n";
    Recipe r = Recipe.parse(new ByteArrayInputStream(yaml.getBytes()), "recipe.yaml", tmp);
    Map<String, Object> rmsp = r.stages().get(1).options();
    assertThat(rmsp).containsEntry("device", "cpu");
    ReadyStages stages = new ReadyStages(tmp, (name, options, base) -> null, d -> null);
    BestOfNRun run = (BestOfNRun) stages.bestOfN(rmsp);
    assertThat(run.device()).isEqualTo(Device.cpu());
    assertThat(run.settings().bestOf()).isEqualTo(2);
    assertThat(r.stages().get(2).options()).as("a stage's own key wins").containsEntry("device", "gpu:3");
    assertThat(((BestOfNRun) stages.bestOfN(r.stages().get(2).options())).device()).isEqualTo(Device.gpu(3));
    assertThat(r.onDevice("gpu:0").stages().get(1).options()).containsEntry("device", "gpu:0");
  }
}
