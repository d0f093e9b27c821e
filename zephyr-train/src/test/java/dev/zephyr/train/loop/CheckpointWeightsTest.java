package dev.zephyr.train.loop;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.zephyr.core.model.lora.LoraConfig;
import dev.zephyr.core.model.safetensors.Dtype;
import dev.zephyr.core.model.safetensors.Safetensors;
import dev.zephyr.train.lora.LoraTraining;
import dev.zephyr.train.optim.SchedulerType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checkpoints in PEFT's layout (what a LoRA run writes) resume to the same parameters, bit for bit, as an unbroken
 * run; so does a checkpoint of the older layout, with the same tensors in {@code model.safetensors}.
 */
class CheckpointWeightsTest {
  static final CheckpointWeights PEFT = LoraTraining.checkpointWeights(LoraConfig.of(2, 4));

  private static Map<String, float[]> train(Path dir) {
    List<ToyTask.Example> data = ToyTask.data(16, TrainerTest.D, TrainerTest.V, 3);
    TrainingArguments a = TrainingArguments.builder(dir).learningRate(1e-2).lrSchedulerType(SchedulerType.CONSTANT)
        .disableTqdm(true).loggingSteps(1).perDeviceTrainBatchSize(4).maxSteps(4).saveSteps(2).seed(5).build();
    try (NDManager m = NDManager.newBaseManager()) {
      Map<String, NDArray> p = ToyTask.init(m, TrainerTest.D, TrainerTest.H, TrainerTest.V, 1);
      try (Trainer<ToyTask.Example, ToyTask.Batch> t = new Trainer<>(a, new ToyTask(TrainerTest.D, TrainerTest.V),
          data, p)) {
        t.checkpointWeights(PEFT).train();
      }
      Map<String, float[]> out = new TreeMap<>();
      p.forEach((k, v) -> out.put(k, v.toFloatArray()));
      return out;
    }
  }

  /** A fresh run directory holding only {@code checkpoint-2} of {@code from}. */
  private static Path withCheckpoint2(Path from, Path to) throws Exception {
    Path target = Files.createDirectories(to.resolve("checkpoint-2"));
    try (var files = Files.list(from.resolve("checkpoint-2"))) {
      for (Path f : files.toList()) {
        Files.copy(f, target.resolve(f.getFileName()));
      }
    }
    return target;
  }

  @Test
  void peftLayoutCheckpointsAndOlderOnesResumeBitIdentically(@TempDir Path tmp) throws Exception {
    Path straight = tmp.resolve("straight");
    Map<String, float[]> expected = train(straight);
    Path ckpt = straight.resolve("checkpoint-2");
    assertThat(ckpt.resolve("adapter_config.json")).isRegularFile();
    assertThat(ckpt.resolve("model.safetensors")).doesNotExist();
    assertThat(Safetensors.readHeader(ckpt.resolve("adapter_model.safetensors")).tensors())
        .allMatch(t -> t.name().startsWith("base_model.model."));

    Path resumed = tmp.resolve("resumed");
    withCheckpoint2(straight, resumed);
    Map<String, float[]> fromPeft = train(resumed);
    assertThat(fromPeft.keySet()).isEqualTo(expected.keySet());
    expected.forEach((k, v) -> assertThat(fromPeft.get(k)).as(k).isEqualTo(v));

    // the older layout: the same tensors under their own names in model.safetensors
    Path older = tmp.resolve("older");
    Path old = withCheckpoint2(straight, older);
    try (NDManager m = NDManager.newBaseManager()) {
      Map<String, NDArray> renamed = new LinkedHashMap<>();
      Safetensors.load(old.resolve("adapter_model.safetensors"), m)
          .forEach((k, v) -> renamed.put(k.substring("base_model.model.".length()), v));
      Safetensors.save(old.resolve("model.safetensors"), renamed, Dtype.F32);
    }
    Files.delete(old.resolve("adapter_model.safetensors"));
    Files.delete(old.resolve("adapter_config.json"));
    Map<String, float[]> fromOlder = train(older);
    expected.forEach((k, v) -> assertThat(fromOlder.get(k)).as(k).isEqualTo(v));

    // the resumes read the checkpoint's weights: zeroed ones end elsewhere
    Path zeroed = tmp.resolve("zeroed");
    Path z = withCheckpoint2(straight, zeroed);
    try (NDManager m = NDManager.newBaseManager()) {
      Map<String, NDArray> zeros = new LinkedHashMap<>();
      Safetensors.load(z.resolve("adapter_model.safetensors"), m).forEach((k, v) -> zeros.put(k, v.zerosLike()));
      Safetensors.save(z.resolve("adapter_model.safetensors"), zeros, Dtype.F32);
    }
    Map<String, float[]> fromZeros = train(zeroed);
    assertThat(fromZeros.get("fc2.weight")).isNotEqualTo(expected.get("fc2.weight"));
  }
}
