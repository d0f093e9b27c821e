package dev.zephyr.train.loop;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.zephyr.train.optim.SchedulerType;
import java.nio.file.Path;
import java.util.Map;

/**
 * A training child process for the kill-and-resume test: {@code ToyRun OUT_DIR MAX_STEPS SAVE_STEPS SLEEP_MS}. Trains
 * the toy task (resuming from OUT_DIR's newest checkpoint if any) and writes the final weights to OUT_DIR/final.safetensors.
 */
public final class ToyRun {
  public static void main(String[] a) throws Exception {
    Path out = Path.of(a[0]);
    long steps = Long.parseLong(a[1]);
    long save = Long.parseLong(a[2]);
    long sleep = Long.parseLong(a[3]);
    ToyTask task = new ToyTask(16, 5);
    try (NDManager m = NDManager.newBaseManager()) {
      Map<String, NDArray> params = ToyTask.init(m, 16, 32, 5, 7);
      TrainingArguments args = TrainingArguments.builder(out)
          .learningRate(1e-2).lrSchedulerType(SchedulerType.COSINE).warmupRatio(0.1).maxSteps(steps)
          .perDeviceTrainBatchSize(3).gradientAccumulationSteps(2).weightDecay(0.01).saveSteps(save)
          .saveTotalLimit(2).loggingSteps(1).disableTqdm(true).seed(11).build();
      try (Trainer<ToyTask.Example, ToyTask.Batch> t = new Trainer<>(args, task, ToyTask.data(40, 16, 5, 3), params)) {
        t.onStepEnd(s -> {
          if (sleep > 0) {
            try {
              Thread.sleep(sleep);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          }
        });
        t.train();
      }
      F32Tensors.write(out.resolve("final.safetensors"), params);
    }
    System.exit(0);
  }
}
