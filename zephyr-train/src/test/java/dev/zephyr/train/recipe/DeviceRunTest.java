package dev.zephyr.train.recipe;

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
import dev.zephyr.core.model.ModelConfig;
import dev.zephyr.core.model.ModelType;
import dev.zephyr.core.model.lora.LoraConfig;
import dev.zephyr.core.progress.Progress;
import dev.zephyr.train.loop.Trainer;
import dev.zephyr.train.loop.TrainingArguments;
import dev.zephyr.train.pipeline.Recipe;
import dev.zephyr.train.sft.SftSequence;
import dev.zephyr.train.sft.SftTask;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** The recipe key {@code device} reaches every array of a run, and a device the machine lacks stops it early. */
class DeviceRunTest {
  private static final ModelConfig TINY = ModelConfig.builder().modelType(ModelType.LLAMA).vocabSize(64)
      .hiddenSize(16).intermediateSize(32).numHiddenLayers(2).numAttentionHeads(2).numKeyValueHeads(1)
      .rmsNormEps(1e-5).ropeTheta(10000.0).maxPositionEmbeddings(64).build();

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void aRunOnTheCpuKeepsParametersAdaptersOptimizerStateAndOutputsThere(boolean lora, @TempDir Path tmp) {
    Device cpu = Device.cpu();
    TrainingArguments args = TrainingArguments.builder(tmp.resolve("run")).device("cpu").maxSteps(2)
        .perDeviceTrainBatchSize(2).learningRate(1e-2).loggingSteps(1).saveSteps(0).build();
    List<SftSequence> rows = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      rows.add(SftSequence.of(new int[] {1, 5 + i, 9, 13 + i, 2}, new int[] {0, 0, 1, 1, 1}));
    }
    List<String> offDevice = new ArrayList<>();
    try (NDManager root = NDManager.newBaseManager(args.deviceOrDefault());
        LlamaModel base = LlamaModel.random(TINY, 3, root);
        Adapted adapted = Adapted.of(base, lora ? LoraConfig.of(2, 4) : null, tmp, 5, root);
        Trainer<SftSequence, SftTask.Batch> t = new Trainer<>(args, adapted.task(new SftTask(adapted.model())), rows,
            adapted.trainable())) {
      // the optimizer state exists once a step has run: check it while the trainer holds it
      t.progress(Progress.NONE).onStepEnd(step -> t.optimizer().state().forEach((name, a) -> {
        if (!a.getDevice().equals(cpu)) {
          offDevice.add(name);
        }
      }));
      Trainer.TrainResult r = t.train();
      assertThat(r.globalStep()).isEqualTo(2);
      assertThat(t.optimizer().state()).isNotEmpty();
      assertThat(offDevice).as("optimizer state off the device").isEmpty();
      adapted.trainable().forEach((name, a) -> assertThat(a.getDevice()).as(name).isEqualTo(cpu));
      base.parameters().forEach((name, a) -> assertThat(a.getDevice()).as(name).isEqualTo(cpu));
      assertThat(adapted.trainable().keySet().stream().anyMatch(n -> n.contains("lora_A"))).isEqualTo(lora);
      try (NDScope scope = new NDScope()) {
        scope.suppressNotUsedWarning();
        NDArray ids = root.create(new long[][] {{1, 5, 9, 13}});
        assertThat(adapted.model().forward(ids, null, null, null).getDevice()).isEqualTo(cpu);
        assertThat(LogProbs.tokenLogProbs(adapted.model(), ids, null).getDevice()).isEqualTo(cpu);
      }
    }
  }

  @Test
  void theRecipeKeyIsReadNormalisedAndCheckedNamingTheFile(@TempDir Path tmp) throws Exception {
    Path yaml = Files.writeString(tmp.resolve("sft.yaml"), "model_name_or_path: m\ndataset_path: d.jsonl\n"
        + "output_dir: out\ndevice: CPU\n");
    assertThat(Recipes.loadSft(yaml).training().device()).isEqualTo("cpu");
    assertThat(Recipes.sftKeys().get("training")).contains("device");
    int gpus = Engine.getInstance().getGpuCount();
    Path missing = Files.writeString(tmp.resolve("gpu.yaml"), "model_name_or_path: m\ndataset_path: d.jsonl\n"
        + "output_dir: out\ndevice: gpu:" + gpus + "\n");
    assertThatThrownBy(() -> Recipes.loadSft(missing)).isInstanceOfSatisfying(InvalidInputException.class, e -> {
      assertThat(e.source()).isEqualTo(missing.toString());
      assertThat(e.field()).isEqualTo("device");
      assertThat(e.reason()).contains("gpu:" + gpus + " does not exist here");
    });
    assertThatThrownBy(() -> Recipes.dpo(Map.of("model_name_or_path", "m", "dataset_path", "d.jsonl",
        "output_dir", "out", "device", "tpu"), "dpo options"))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("dpo options: field 'device'")
        .hasMessageContaining("expected cpu, gpu or gpu:N");
  }

  @Test
  void aJavaRunOnAMissingGpuIsRefusedBeforeTheModelLoads(@TempDir Path tmp) {
    int gpus = Engine.getInstance().getGpuCount();
    // the model directory does not exist: a run that loaded first would fail on it instead
    SftConfig.Builder b = SftConfig.builder(tmp.resolve("out")).modelNameOrPath(tmp.resolve("no-such-model"))
        .datasets(List.of(tmp.resolve("no-such-data.jsonl")));
    b.training().device(Device.gpu(gpus)).maxSteps(1);
    assertThatThrownBy(() -> TrainingRuns.sft(b.build(), Progress.NONE))
        .isInstanceOfSatisfying(InvalidInputException.class, e -> {
          assertThat(e.field()).isEqualTo("device");
          assertThat(e.reason()).contains("gpu:" + gpus + " does not exist here");
        });
    assertThat(Files.exists(tmp.resolve("out"))).isFalse();
  }

  @Test
  void theTrainerRefusesADeviceTheMachineLacks(@TempDir Path tmp) {
    // on a machine without the device the arguments name, the check itself refuses, naming the key
    int gpus = Engine.getInstance().getGpuCount();
    TrainingArguments args = TrainingArguments.builder(tmp).device("gpu:" + gpus).maxSteps(1).build();
    try (NDManager root = NDManager.newBaseManager(Device.cpu()); LlamaModel model = LlamaModel.random(TINY, 1, root)) {
      List<SftSequence> rows = List.of(SftSequence.of(new int[] {1, 2, 3}, new int[] {0, 1, 1}));
      assertThatThrownBy(() -> new Trainer<>(args, new SftTask(model), rows, new java.util.LinkedHashMap<>(
          model.parameters()))).isInstanceOf(InvalidInputException.class).hasMessageContaining("field 'device'");
    }
  }

  @Test
  void aPipelineRecipeHandsItsDeviceToTheTrainingStages(@TempDir Path tmp) {
    String yaml = "student: s\ndevice: CPU\nstages:\n  - dsft: {dataset: d.jsonl}\n"
        + "  - aif: {preferences: p.jsonl}\n  - ddpo: {beta: 0.1}\n";
    Recipe r = Recipe.parse(new java.io.ByteArrayInputStream(yaml.getBytes()), "recipe.yaml", tmp);
    assertThat(r.device()).isEqualTo("cpu");
    assertThat(r.stages().get(0).options()).containsEntry("device", "cpu");
    assertThat(r.stages().get(1).options()).doesNotContainKey("device");
    assertThat(r.stages().get(2).options()).containsEntry("device", "cpu");
    // the stage's config record carries it
    assertThat(Recipes.dpoStage(r.stages().get(2).options(), "ddpo").training().device()).isEqualTo("cpu");
    // zephyr pipeline --device replaces it everywhere (checked against the machine by the command first)
    Recipe moved = r.onDevice("cuda:1");
    assertThat(moved.device()).isEqualTo("gpu:1");
    assertThat(moved.stages().get(0).options()).containsEntry("device", "gpu:1");
    assertThat(moved.stages().get(2).options()).containsEntry("device", "gpu:1");

    int gpus = Engine.getInstance().getGpuCount();
    String absent = "student: s\ndevice: gpu:" + gpus + "\nstages:\n  - dsft: {dataset: d.jsonl}\n";
    assertThatThrownBy(() -> Recipe.parse(new java.io.ByteArrayInputStream(absent.getBytes()), "recipe.yaml", tmp))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("recipe.yaml: field 'device': gpu:" + gpus);
  }
}
