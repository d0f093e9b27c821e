package dev.zephyr.train.loop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.pytorch.jni.JniUtils;
import com.fasterxml.jackson.databind.JsonNode;
import dev.zephyr.core.io.Jsonl;
import dev.zephyr.core.progress.Progress;
import dev.zephyr.train.optim.SchedulerType;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The evaluation pass: its loss, its cadence, and that it leaves training untouched. */
class TrainerEvalTest {
  static final int D = 16;
  static final int H = 32;
  static final int V = 5;

  private static TrainingArguments.Builder args(Path dir) {
    return TrainingArguments.builder(dir).learningRate(1e-2).lrSchedulerType(SchedulerType.CONSTANT)
        .disableTqdm(true).loggingSteps(1).saveSteps(0).seed(5).perDeviceTrainBatchSize(2).maxSteps(5);
  }

  /** The mean loss per labelled token over {@code data}, each example run alone through the task's loss. */
  private static double meanLossByHand(Map<String, NDArray> p, List<ToyTask.Example> data) {
    ToyTask task = new ToyTask(D, V);
    double sum = 0;
    long tokens = 0;
    boolean grad = JniUtils.isGradMode();
    JniUtils.setGradMode(false);
    try (NDScope s = new NDScope()) {
      s.suppressNotUsedWarning();
      for (ToyTask.Example e : data) {
        ToyTask.Batch b = task.collate(List.of(e));
        sum += task.loss(p, b, StepContext.of(0, 0, 0)).lossSum().getFloat();
        tokens += task.lossUnits(b);
      }
    } finally {
      JniUtils.setGradMode(grad);
    }
    return sum / tokens;
  }

  @Test
  void evalLossIsTheMeanLossPerTokenOverTheEvalSetWhateverTheEvalBatchSize(@TempDir Path dir) {
    List<ToyTask.Example> train = ToyTask.data(10, D, V, 2);
    List<ToyTask.Example> eval = ToyTask.data(7, D, V, 3);
    try (NDManager m = NDManager.newBaseManager()) {
      Map<String, NDArray> p = ToyTask.init(m, D, H, V, 1);
      for (int bs : new int[] {1, 3, 7}) {
        try (Trainer<ToyTask.Example, ToyTask.Batch> t = new Trainer<>(
            args(dir.resolve("b" + bs)).perDeviceEvalBatchSize(bs).build(), new ToyTask(D, V), train, p)) {
          Map<String, Object> rec = t.evalDataset(eval).evaluate(0, Progress.NONE);
          assertThat((double) rec.get("eval_loss")).as("eval batch %d", bs)
              .isCloseTo(meanLossByHand(p, eval), within(1e-5));
          assertThat(rec).containsEntry("eval_mean_token_accuracy", 0.0).containsEntry("step", 0L)
              .containsEntry("epoch", 0.0).containsKeys("eval_runtime", "eval_samples_per_second");
        }
      }
    }
  }

  @Test
  void evaluatesEveryEvalStepsAndAtTheEndAndTrainsBitForBitAsWithoutEvaluation(@TempDir Path dir) {
    List<ToyTask.Example> train = ToyTask.data(10, D, V, 2);
    List<ToyTask.Example> eval = ToyTask.data(4, D, V, 3);
    float[] withEval;
    float[] without;
    try (NDManager m = NDManager.newBaseManager()) {
      Map<String, NDArray> p = ToyTask.init(m, D, H, V, 1);
      TrainingArguments a = args(dir.resolve("eval")).evalStrategy(IntervalStrategy.STEPS).evalSteps(2).build();
      try (Trainer<ToyTask.Example, ToyTask.Batch> t = new Trainer<>(a, new ToyTask(D, V), train, p)) {
        t.evalDataset(eval).train();
        assertThat((double) Jsonl.readAll(dir.resolve("eval/metrics.jsonl")).get(7).get("eval_loss").asDouble())
            .as("the last evaluation is of the final weights").isCloseTo(meanLossByHand(p, eval), within(1e-5));
      }
      withEval = p.get("fc2.weight").toFloatArray();
    }
    try (NDManager m = NDManager.newBaseManager()) {
      Map<String, NDArray> p = ToyTask.init(m, D, H, V, 1);
      try (Trainer<ToyTask.Example, ToyTask.Batch> t = new Trainer<>(args(dir.resolve("plain")).build(),
          new ToyTask(D, V), train, p)) {
        t.train();
      }
      without = p.get("fc2.weight").toFloatArray();
    }
    assertThat(withEval).containsExactly(without);

    List<JsonNode> lines = Jsonl.readAll(dir.resolve("eval/metrics.jsonl"));
    List<Long> evalSteps = lines.stream().filter(n -> n.has("eval_loss")).map(n -> n.get("step").asLong()).toList();
    assertThat(evalSteps).as("eval_steps 2 of 5 steps, and the end").containsExactly(2L, 4L, 5L);
    assertThat(lines).hasSize(8);
    assertThat(lines.get(2).has("loss")).as("an evaluation has a line of its own").isFalse();
  }

  @Test
  void epochStrategyEvaluatesAtEachEpochsEnd(@TempDir Path dir) {
    List<ToyTask.Example> train = ToyTask.data(4, D, V, 2);
    try (NDManager m = NDManager.newBaseManager()) {
      Map<String, NDArray> p = ToyTask.init(m, D, H, V, 1);
      // 4 examples, batch 2: 2 steps per epoch, 3 epochs
      TrainingArguments a = args(dir).maxSteps(-1).numTrainEpochs(3).evalStrategy(IntervalStrategy.EPOCH).build();
      try (Trainer<ToyTask.Example, ToyTask.Batch> t = new Trainer<>(a, new ToyTask(D, V), train, p)) {
        t.evalDataset(ToyTask.data(3, D, V, 4));
        assertThat(java.util.stream.LongStream.rangeClosed(1, 6).filter(t::evaluatesAt).boxed().toList())
            .containsExactly(2L, 4L, 6L);
      }
      TrainingArguments none = args(dir).evalStrategy(IntervalStrategy.NO).build();
      try (Trainer<ToyTask.Example, ToyTask.Batch> t = new Trainer<>(none, new ToyTask(D, V), train, p)) {
        t.evalDataset(ToyTask.data(3, D, V, 4));
        assertThat(java.util.stream.LongStream.rangeClosed(1, 5).filter(t::evaluatesAt)).isEmpty();
      }
    }
    assertThat(args(dir).evalSteps(0.25).build().evalInterval(10)).as("a fraction of all steps, rounded up")
        .isEqualTo(3);
    assertThat(args(dir).loggingSteps(4).build().evalInterval(10)).as("unset: logging_steps").isEqualTo(4);
  }
}
