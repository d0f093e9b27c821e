package dev.zephyr.experiments.bf16;

import java.util.Arrays;

/** Runs a task repeatedly (after warm-up) until a time budget is spent; reports the median and best seconds. */
final class Timer {
  private Timer() {}

  record Result(double medianSeconds, double bestSeconds, int runs) {}

  static Result time(Runnable task, int warmup, double budgetSeconds, int minRuns, int maxRuns) {
    for (int i = 0; i < warmup; i++) {
      task.run();
    }
    double[] times = new double[maxRuns];
    int n = 0;
    long start = System.nanoTime();
    while (n < maxRuns && (n < minRuns || (System.nanoTime() - start) / 1e9 < budgetSeconds)) {
      long t0 = System.nanoTime();
      task.run();
      times[n++] = (System.nanoTime() - t0) / 1e9;
    }
    double[] used = Arrays.copyOf(times, n);
    Arrays.sort(used);
    return new Result(used[n / 2], used[0], n);
  }
}
