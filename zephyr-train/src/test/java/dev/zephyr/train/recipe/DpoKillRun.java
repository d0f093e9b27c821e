package dev.zephyr.train.recipe;

import dev.zephyr.core.model.lora.LoraConfig;
import dev.zephyr.core.progress.Progress;
import dev.zephyr.train.dpo.DpoLossType;
import dev.zephyr.train.data.EvalData;
import dev.zephyr.train.data.HoldOut;
import dev.zephyr.train.loop.IntervalStrategy;
import java.nio.file.Path;
import java.util.List;

/**
 * A DPO child process for the kill-and-resume test: {@code DpoKillRun MODEL DATA OUTPUT_DIR RUN_DIR SLEEP_MS [lora]}.
 * With {@code lora} it trains LoRA adapters (r 4, alpha 8, dropout 0.1, all linear) instead of every weight. Runs
 * {@link TrainingRuns#dpo} with cached reference log-probs and a checkpoint every 2 steps (resuming from RUN_DIR's
 * newest one), pausing SLEEP_MS after each step so that the parent can kill it mid-run.
 */
public final class DpoKillRun {
  static final int STEPS = 12;
  /** Evaluations of the 4 held-out pairs (of 20) interleave with training: resuming must not change either. */
  static final int EVAL_STEPS = 3;

  public static void main(String[] a) {
    DpoConfig.Builder b = DpoConfig.builder(Path.of(a[2])).modelNameOrPath(Path.of(a[0]))
        .datasets(List.of(Path.of(a[1]))).runDir(Path.of(a[3])).beta(0.1)
        .lossTypes(List.of(DpoLossType.SIGMOID, DpoLossType.SFT)).lossWeights(List.of(1.0, 0.5)).maxLength(48)
        .precomputeRefLogProbs(true).evalData(EvalData.heldOut(new HoldOut(0.2, 0)));
    b.training().learningRate(5e-3).warmupRatio(0.2).maxSteps(STEPS).perDeviceTrainBatchSize(2)
        .gradientAccumulationSteps(2).saveSteps(2).saveTotalLimit(2).loggingSteps(1).seed(3)
        .evalStrategy(IntervalStrategy.STEPS).evalSteps(EVAL_STEPS);
    if (a.length > 5 && a[5].equals("lora")) {
      b.lora(LoraConfig.of(4, 8).withDropout(0.1));
    }
    long sleepMs = Long.parseLong(a[4]);
    Progress pausing = (task, unit, total, done) -> (units, tokens) -> {
      if (task.equals("train") && sleepMs > 0) {
        try {
          Thread.sleep(sleepMs);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    };
    TrainingRuns.dpo(b.build(), pausing);
    System.exit(0);
  }
}
