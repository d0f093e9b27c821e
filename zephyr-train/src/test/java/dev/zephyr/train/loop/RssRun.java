package dev.zephyr.train.loop;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.zephyr.train.optim.SchedulerType;
import java.nio.file.Path;
import java.util.Map;

/**
 * Child process of the memory test: {@code RssRun OUT_DIR STEPS} trains the toy task with a 256x512 hidden layer and
 * prints {@code RSS <step> <KiB>} every 50 steps. Run it with a fixed, pre-touched Java heap so that VmRSS growth can
 * only come from native memory.
 */
public final class RssRun {
  public static void main(String[] a) {
    Path out = Path.of(a[0]);
    long steps = Long.parseLong(a[1]);
    int d = 256;
    int h = 512;
    int v = 5;
    try (NDManager m = NDManager.newBaseManager()) {
      Map<String, NDArray> p = ToyTask.init(m, d, h, v, 1);
      TrainingArguments args = TrainingArguments.builder(out).learningRate(1e-3)
          .lrSchedulerType(SchedulerType.CONSTANT).perDeviceTrainBatchSize(4).maxSteps(steps).loggingSteps(50)
          .saveSteps(100).saveTotalLimit(1).disableTqdm(true).build();
      try (Trainer<ToyTask.Example, ToyTask.Batch> t = new Trainer<>(args, new ToyTask(d, v),
          ToyTask.data(64, d, v, 4), p)) {
        t.onStepEnd(s -> {
          if (s % 50 == 0) {
            System.out.println("RSS " + s + " " + TrainerTest.vmRssKb());
          }
        });
        t.train();
      }
    }
    System.exit(0);
  }
}
