package dev.zephyr.core.device;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import dev.zephyr.core.InvalidInputException;
import dev.zephyr.core.model.LlamaModel;
import dev.zephyr.core.model.LogProbs;
import dev.zephyr.core.testing.TestData;
import org.junit.jupiter.api.Test;

class DevicesTest {
  @Test
  void namesParseAsUsersWriteThem() {
    assertThat(Devices.syntax("cpu", "s", "device")).isEqualTo(Device.cpu());
    assertThat(Devices.syntax(" CPU ", "s", "device")).isEqualTo(Device.cpu());
    assertThat(Devices.syntax("gpu", "s", "device")).isEqualTo(Device.gpu(0));
    assertThat(Devices.syntax("gpu:3", "s", "device")).isEqualTo(Device.gpu(3));
    assertThat(Devices.syntax("cuda", "s", "device")).isEqualTo(Device.gpu(0));
    assertThat(Devices.syntax("cuda:1", "s", "device")).isEqualTo(Device.gpu(1));
    assertThat(Devices.name(Device.gpu(2))).isEqualTo("gpu:2");
    assertThat(Devices.name(Device.cpu())).isEqualTo("cpu");
  }

  @Test
  void unknownNamesAreRefusedNamingTheKey() {
    for (String bad : new String[] {"tpu", "gpu:", "gpu:-1", "gpu:x", "gpu0", "cpu:0"}) {
      assertThatThrownBy(() -> Devices.parse(bad, "recipe.yaml", "device"))
          .isInstanceOfSatisfying(InvalidInputException.class, e -> {
            assertThat(e.source()).isEqualTo("recipe.yaml");
            assertThat(e.field()).isEqualTo("device");
            assertThat(e.reason()).contains("expected cpu, gpu or gpu:N").contains("'" + bad + "'");
          });
    }
  }

  @Test
  void aGpuThisMachineDoesNotHaveIsRefusedBeforeAnythingLoads() {
    int gpus = Engine.getInstance().getGpuCount();
    String missing = "gpu:" + gpus; // one past the last GPU the engine sees: absent on any machine
    assertThatThrownBy(() -> Devices.parse(missing, "zephyr sft", "--device"))
        .isInstanceOfSatisfying(InvalidInputException.class, e -> {
          assertThat(e.field()).isEqualTo("--device");
          assertThat(e.getMessage()).startsWith("zephyr sft: field '--device': " + missing + " does not exist here")
              .contains("sees " + gpus + " GPU");
        });
    assertThatThrownBy(() -> Devices.require(Device.gpu(7 + gpus), "TrainingArguments", "device"))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("gpu:" + (7 + gpus));
    if (gpus == 0) {
      assertThatThrownBy(() -> Devices.parse("gpu", "recipe.yaml", "device"))
          .isInstanceOf(InvalidInputException.class).hasMessageContaining("gpu:0 does not exist here");
    }
  }

  @Test
  void otherDeviceTypesAreRefused() {
    assertThatThrownBy(() -> Devices.require(Device.of("tpu", 0), "s", "device"))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("'tpu' is not supported");
  }

  @Test
  void unsetMeansTheEnginesDefaultDevice() {
    Device expected = Engine.getInstance().defaultDevice();
    assertThat(Devices.parse(null, "s", "device")).isEqualTo(expected);
    assertThat(Devices.parse(" ", "s", "device")).isEqualTo(expected);
    assertThat(Devices.require(null, "s", "device")).isEqualTo(expected);
    assertThat(Devices.require(Device.cpu(), "s", "device")).isEqualTo(Device.cpu());
  }

  @Test
  void aModelLoadedOnAnExplicitDeviceKeepsEveryArrayThere() {
    Device cpu = Devices.parse("cpu", "test", "device");
    try (NDManager root = NDManager.newBaseManager(cpu);
        LlamaModel f32 = LlamaModel.load(TestData.path("fixtures", "llama-gqa-f32"), root);
        LlamaModel kept = LlamaModel.load(TestData.path("fixtures", "qwen2-tied-bf16"), root, name -> true);
        NDScope scope = new NDScope()) {
      scope.suppressNotUsedWarning();
      assertThat(f32.parameters()).isNotEmpty();
      f32.parameters().forEach((name, a) -> assertThat(a.getDevice()).as(name).isEqualTo(cpu));
      for (String name : kept.halfPrecisionWeights().names()) {
        assertThat(kept.halfPrecisionWeights().widen(name, root).getDevice()).as(name).isEqualTo(cpu);
      }
      NDArray ids = root.create(new long[][] {{1, 5, 9}});
      assertThat(f32.forward(ids, null, null, null).getDevice()).isEqualTo(cpu);
      assertThat(kept.forward(ids, null, null, null).getDevice()).isEqualTo(cpu);
      assertThat(LogProbs.tokenLogProbs(f32, ids, null, LogProbs.DEFAULT_CHUNK).getDevice()).isEqualTo(cpu);
    }
  }
}
