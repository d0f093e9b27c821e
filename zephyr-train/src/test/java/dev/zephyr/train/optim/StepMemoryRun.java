package dev.zephyr.train.optim;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Child process of {@link StepMemoryTest}: {@code StepMemoryRun OPTIM} builds four 512 x 2048 float32 parameters
 * (16 MiB) with gradients, takes three warm-up steps (clipping, then the optimizer, in one scope as the trainer does),
 * then resets the peak resident size, takes one more step and prints
 * {@code TRANSIENT_KB <peak - before> PARAM_KB <n>}. Slices are 256 Ki elements (1 MiB).
 */
public final class StepMemoryRun {
  static final int ROWS = 512;
  static final int COLS = 2048;
  static final long SLICE = 1L << 18;

  public static void main(String[] a) throws IOException {
    OptimizerName name = OptimizerName.fromHfName(a[0]);
    try (NDManager m = NDManager.newBaseManager()) {
      // made natively: the small Java heap holds none of it
      Map<String, NDArray> params = new LinkedHashMap<>();
      for (int i = 0; i < 4; i++) {
        params.put("layers." + i + ".weight", m.randomNormal(0, 0.02f, new Shape(ROWS, COLS), DataType.FLOAT32));
      }
      params.values().forEach(p -> p.setRequiresGradient(true));
      try (NDScope s = new NDScope(); GradientCollector gc = Engine.getInstance().newGradientCollector()) {
        s.suppressNotUsedWarning();
        NDArray total = null;
        for (NDArray p : params.values()) {
          NDArray term = p.mul(m.randomNormal(p.getShape())).sum();
          total = total == null ? term : total.add(term);
        }
        gc.backward(total);
      }
      Optimizer opt = switch (name.algorithm()) {
        case ADAMW -> AdamW.builder().weightDecay(0.01).sliceElements(SLICE).build(params, m.newSubManager());
        case RMSPROP -> new RmsProp(params, m.newSubManager(), 0.01, n -> false, SLICE);
        case ADAFACTOR -> new Adafactor(params, m.newSubManager(), 0.01, n -> false);
      };
      for (int i = 0; i < 3; i++) {
        step(params, opt);
      }
      System.gc();
      Files.writeString(Path.of("/proc/self/clear_refs"), "5"); // the peak resident size starts again from now
      long before = status("VmRSS:");
      step(params, opt);
      long peak = status("VmHWM:");
      System.out.println("TRANSIENT_KB " + (peak - before) + " PARAM_KB " + 4L * ROWS * COLS * 4 / 1024);
    }
    System.exit(0);
  }

  private static void step(Map<String, NDArray> params, Optimizer opt) {
    try (NDScope scope = new NDScope()) {
      scope.suppressNotUsedWarning();
      GradientClipping.clipGlobalNorm(params.values(), 1.0, SLICE);
      opt.step(params, 1e-3);
    }
  }

  static long status(String key) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith(key)) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    throw new IllegalStateException("no " + key + " in /proc/self/status");
  }
}
