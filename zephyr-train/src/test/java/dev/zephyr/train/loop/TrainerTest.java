package dev.zephyr.train.loop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import com.fasterxml.jackson.databind.JsonNode;
import dev.zephyr.core.io.Jsonl;
import dev.zephyr.core.progress.Progress;
import dev.zephyr.train.optim.OptimizerName;
import dev.zephyr.train.optim.SchedulerType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainerTest {
  static final int D = 16;
  static final int H = 32;
  static final int V = 5;

  private static TrainingArguments.Builder args(Path dir) {
    return TrainingArguments.builder(dir).learningRate(1e-2).lrSchedulerType(SchedulerType.CONSTANT)
        .disableTqdm(true).loggingSteps(1).saveSteps(0).seed(5);
  }

  private static Map<String, float[]> gradientsOfFirstStep(TrainingArguments a, List<ToyTask.Example> data) {
    try (NDManager m = NDManager.newBaseManager()) {
      Map<String, NDArray> p = ToyTask.init(m, D, H, V, 1);
      try (Trainer<ToyTask.Example, ToyTask.Batch> t = new Trainer<>(a, new ToyTask(D, V), data, p);
          NDScope s = new NDScope()) {
        s.suppressNotUsedWarning();
        t.gradientsOfStep(0);
        Map<String, float[]> g = new java.util.TreeMap<>();
        p.forEach((k, v) -> g.put(k, v.getGradient().toFloatArray()));
        t.zeroGradients();
        return g;
      }
    }
  }

  @Test
  void accumulationOfFourMicroBatchesOfOneEqualsOneBatchOfFour(@TempDir Path dir) {
    List<ToyTask.Example> data = ToyTask.data(8, D, V, 2);
    // the examples have different numbers of loss tokens, so a mean of per-micro-batch means would differ
    assertThat(data.stream().map(e -> java.util.Arrays.stream(e.labels()).filter(l -> l >= 0).count()).distinct())
        .hasSizeGreaterThan(1);
    Map<String, float[]> big = gradientsOfFirstStep(args(dir).perDeviceTrainBatchSize(4).build(), data);
    Map<String, float[]> acc = gradientsOfFirstStep(
        args(dir).perDeviceTrainBatchSize(1).gradientAccumulationSteps(4).build(), data);
    double maxAbs = 0;
    for (String k : big.keySet()) {
      float[] a = big.get(k);
      float[] b = acc.get(k);
      for (int i = 0; i < a.length; i++) {
        assertThat(b[i]).as("%s[%d]", k, i).isCloseTo(a[i], within(1e-6f));
        maxAbs = Math.max(maxAbs, Math.abs(a[i]));
      }
    }
    assertThat(maxAbs).isGreaterThan(1e-3); // the gradients are not trivially zero
  }

  @Test
  void trainsAndLogsHuggingFaceMetricNames(@TempDir Path dir) {
    List<ToyTask.Example> data = ToyTask.data(48, D, V, 4);
    try (NDManager m = NDManager.newBaseManager()) {
      Map<String, NDArray> p = ToyTask.init(m, D, H, V, 1);
      TrainingArguments a = args(dir).perDeviceTrainBatchSize(8).numTrainEpochs(10).loggingSteps(6)
          .lrSchedulerType(SchedulerType.LINEAR).warmupRatio(0.1).build();
      try (Trainer<ToyTask.Example, ToyTask.Batch> t = new Trainer<>(a, new ToyTask(D, V), data, p)) {
        assertThat(t.stepsPerEpoch()).isEqualTo(6);
        assertThat(t.totalSteps()).isEqualTo(60);
        t.train();
      }
      List<JsonNode> lines = Jsonl.readAll(dir.resolve("metrics.jsonl"));
      assertThat(lines).hasSize(10);
      JsonNode first = lines.get(0);
      for (String k : List.of("loss", "grad_norm", "learning_rate", "epoch", "step", "num_tokens",
          "tokens_per_second", "mean_token_accuracy")) {
        assertThat(first.has(k)).as(k).isTrue();
      }
      assertThat(first.get("step").asLong()).isEqualTo(6);
      assertThat(first.get("epoch").asDouble()).isEqualTo(1.0);
      // the logged lr is the one used by step 6 (5 steps done): warmup 6 steps, 5/6 of the peak
      assertThat(first.get("learning_rate").asDouble()).isCloseTo(1e-2 * 5 / 6, within(1e-12));
      assertThat(lines.get(9).get("loss").asDouble()).isLessThan(first.get("loss").asDouble() * 0.7);
    }
  }

  @Test
  void nanLossStopsWithAClearErrorAndKeepsTheLastGoodCheckpoint(@TempDir Path dir) {
    List<ToyTask.Example> data = ToyTask.data(40, D, V, 4);
    try (NDManager m = NDManager.newBaseManager()) {
      Map<String, NDArray> p = ToyTask.init(m, D, H, V, 1);
      ToyTask task = new ToyTask(D, V);
      task.poisonStep = 5; // the sixth step
      TrainingArguments a = args(dir).perDeviceTrainBatchSize(4).maxSteps(10).saveSteps(2).build();
      try (Trainer<ToyTask.Example, ToyTask.Batch> t = new Trainer<>(a, task, data, p)) {
        float[] before = p.get("fc2.weight").toFloatArray();
        assertThatThrownBy(t::train)
            .isInstanceOf(TrainingDivergedException.class)
            .hasMessageContaining("loss is NaN at step 6")
            .hasMessageContaining("checkpoint-4")
            .satisfies(e -> assertThat(((TrainingDivergedException) e).lastGoodCheckpoint())
                .isEqualTo(dir.resolve("checkpoint-4")));
        // the poisoned update was not applied: weights are finite and differ from the start
        float[] after = p.get("fc2.weight").toFloatArray();
        for (float f : after) {
          assertThat(Float.isFinite(f)).isTrue();
        }
        assertThat(after).isNotEqualTo(before);
      }
      assertThat(dir.resolve("checkpoint-4/model.safetensors")).exists();
      assertThat(dir.resolve("checkpoint-6")).doesNotExist();
      try (NDManager tmp = NDManager.newBaseManager()) {
        for (NDArray tensor : dev.zephyr.core.model.safetensors.Safetensors.load(
            dir.resolve("checkpoint-4/model.safetensors"), tmp).values()) {
          for (float f : tensor.toFloatArray()) {
            assertThat(Float.isFinite(f)).isTrue();
          }
        }
      }
    }
  }

  /** What a trainer reported: the task's start and every advance. */
  private static final class RecordedProgress implements Progress {
    final List<String> starts = new ArrayList<>();
    long steps;
    long tokens;
    String status;

    @Override
    public Task start(String task, String unit, long total, long alreadyDone) {
      starts.add(task + " " + unit + " " + alreadyDone + "/" + total);
      return new Task() {
        @Override
        public void advance(long units, long tokenCount) {
          steps += units;
          tokens += tokenCount;
        }

        @Override
        public void status(String text) {
          status = text;
        }
      };
    }
  }

  @Test
  void reportsStepsWithTokensAndLossAndAResumedRunStartsAtItsCheckpoint(@TempDir Path dir) throws Exception {
    List<ToyTask.Example> data = ToyTask.data(24, D, V, 4);
    TrainingArguments a = args(dir).disableTqdm(false).perDeviceTrainBatchSize(4).maxSteps(6).saveSteps(3).build();
    RecordedProgress first = new RecordedProgress();
    try (NDManager m = NDManager.newBaseManager();
        Trainer<ToyTask.Example, ToyTask.Batch> t = new Trainer<>(a, new ToyTask(D, V), data,
            ToyTask.init(m, D, H, V, 1))) {
      t.progress(first).train();
    }
    assertThat(first.starts).containsExactly("train steps 0/6");
    assertThat(first.steps).isEqualTo(6);
    long logged = Jsonl.readAll(dir.resolve("metrics.jsonl")).get(5).get("num_tokens").asLong();
    assertThat(first.tokens).isEqualTo(logged).isPositive();
    assertThat(first.status).matches("loss \\d+\\.\\d{4}");

    // as if killed after step 3: the rerun resumes from checkpoint-3 and reports the 3 steps left
    deleteTree(dir.resolve("checkpoint-6"));
    RecordedProgress resumed = new RecordedProgress();
    try (NDManager m = NDManager.newBaseManager();
        Trainer<ToyTask.Example, ToyTask.Batch> t = new Trainer<>(a, new ToyTask(D, V), data,
            ToyTask.init(m, D, H, V, 1))) {
      t.progress(resumed).train();
    }
    assertThat(resumed.starts).containsExactly("train steps 3/6");
    assertThat(resumed.steps).isEqualTo(3);

    // disable_tqdm silences even an explicit progress
    RecordedProgress silenced = new RecordedProgress();
    try (NDManager m = NDManager.newBaseManager();
        Trainer<ToyTask.Example, ToyTask.Batch> t = new Trainer<>(
            args(dir.resolve("quiet")).perDeviceTrainBatchSize(4).maxSteps(2).build(), new ToyTask(D, V), data,
            ToyTask.init(m, D, H, V, 1))) {
      t.progress(silenced).train();
    }
    assertThat(silenced.starts).isEmpty();
  }

  @Test
  void everyOptimizerResumesFromItsCheckpointToTheSameWeightsBitForBit(@TempDir Path dir) throws Exception {
    List<ToyTask.Example> data = ToyTask.data(24, D, V, 4);
    for (OptimizerName optim : List.of(OptimizerName.ADAMW_TORCH, OptimizerName.RMSPROP, OptimizerName.ADAFACTOR)) {
      Path straight = dir.resolve(optim.hfName() + "-straight");
      Path broken = dir.resolve(optim.hfName() + "-broken");
      float[] expected = train(args(straight).optim(optim).weightDecay(0.1).perDeviceTrainBatchSize(4).maxSteps(6)
          .saveSteps(3).build(), data);
      TrainingArguments a = args(broken).optim(optim).weightDecay(0.1).perDeviceTrainBatchSize(4).maxSteps(6)
          .saveSteps(3).build();
      train(a, data);
      deleteTree(broken.resolve("checkpoint-6"));
      float[] resumed = train(a, data);
      assertThat(resumed).as(optim.hfName()).containsExactly(expected);
      float[] initial;
      try (NDManager m = NDManager.newBaseManager()) {
        initial = ToyTask.init(m, D, H, V, 1).get("fc1.weight").toFloatArray();
      }
      assertThat(expected).as("%s trained", optim.hfName()).isNotEqualTo(initial);
    }
    // the optimizers' states differ: resuming an RMSprop checkpoint with Adafactor is refused by the config check
    TrainingArguments other = args(dir.resolve("rmsprop-broken")).optim(OptimizerName.ADAFACTOR).weightDecay(0.1)
        .perDeviceTrainBatchSize(4).maxSteps(6).saveSteps(3).build();
    deleteTree(dir.resolve("rmsprop-broken").resolve("checkpoint-6"));
    assertThatThrownBy(() -> train(other, data)).isInstanceOf(dev.zephyr.core.CheckpointException.class)
        .hasMessageContaining("optim: checkpoint rmsprop, now adafactor");
  }

  /** Trains a fresh toy model (or resumes the run in the output directory) and returns fc1.weight. */
  private static float[] train(TrainingArguments a, List<ToyTask.Example> data) {
    try (NDManager m = NDManager.newBaseManager()) {
      Map<String, NDArray> p = ToyTask.init(m, D, H, V, 1);
      try (Trainer<ToyTask.Example, ToyTask.Batch> t = new Trainer<>(a, new ToyTask(D, V), data, p)) {
        t.train();
      }
      return p.get("fc1.weight").toFloatArray();
    }
  }

  private static void deleteTree(Path root) throws java.io.IOException {
    try (java.util.stream.Stream<Path> s = Files.walk(root)) {
      for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }

  static long vmRssKb() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
      }
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    throw new IllegalStateException("no VmRSS in /proc/self/status");
  }
}
