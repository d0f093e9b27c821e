package dev.zephyr.train.dpo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import dev.zephyr.core.model.LlamaModel;
import dev.zephyr.core.progress.Progress;
import dev.zephyr.train.TinyModels;
import dev.zephyr.train.loop.IntervalStrategy;
import dev.zephyr.train.loop.Trainer;
import dev.zephyr.train.loop.TrainingArguments;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** DPO's eval metrics on pairs whose reference log-probs are set to give known rewards. */
class DpoEvalTest {
  static final double BETA = 0.5;

  @Test
  void evalRewardsAndAccuraciesAreMeansOverTheEvalPairs(@TempDir Path dir) {
    try (NDManager m = NDManager.newBaseManager(); LlamaModel policy = TinyModels.random(m, 40, 4)) {
      List<DpoExample> raw = List.of(DpoExample.of(new int[] {1, 5, 6}, new int[] {7, 2}, new int[] {9, 9, 2}),
          DpoExample.of(new int[] {1, 12}, new int[] {13, 14, 2}, new int[] {15, 2}),
          DpoExample.of(new int[] {1, 20, 21, 22}, new int[] {23, 2}, new int[] {24, 25, 26, 2}));
      float[] pc = new float[3];
      float[] pr = new float[3];
      try (NDScope s = new NDScope()) {
        s.suppressNotUsedWarning();
        for (int i = 0; i < 3; i++) {
          float[] lp = DpoTask.sequenceLogps(policy, DpoTask.forward(List.of(raw.get(i)), false), 4).toFloatArray();
          pc[i] = lp[0];
          pr[i] = lp[1];
        }
      }
      // log-ratios chosen/rejected: (+1, -1) right, (-1, +1) wrong, (+0.5, 0) right
      double[][] ratios = {{1, -1}, {-1, 1}, {0.5, 0}};
      List<DpoExample> pairs = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        pairs.add(raw.get(i).withReference(pc[i] - ratios[i][0], pr[i] - ratios[i][1]));
      }
      TrainingArguments args = TrainingArguments.builder(dir).disableTqdm(true).maxSteps(1).saveSteps(0)
          .perDeviceEvalBatchSize(2).evalStrategy(IntervalStrategy.STEPS).build();
      DpoTask task = new DpoTask(policy, null, new DpoLoss(BETA, 0, List.of(DpoLossType.SIGMOID), null), 4);
      Map<String, Object> rec;
      try (Trainer<DpoExample, DpoTask.Batch> t = new Trainer<>(args, task, pairs,
          new LinkedHashMap<>(policy.parameters()))) {
        rec = t.evalDataset(pairs).evaluate(0, Progress.NONE);
      }
      double loss = 0;
      for (double[] r : ratios) {
        loss += Math.log1p(Math.exp(-BETA * (r[0] - r[1])));
      }
      assertThat(num(rec, "eval_loss")).isCloseTo(loss / 3, within(1e-4));
      assertThat(num(rec, "eval_rewards/accuracies")).isCloseTo(2.0 / 3, within(1e-9));
      assertThat(num(rec, "eval_rewards/chosen")).isCloseTo(BETA * 0.5 / 3, within(1e-4));
      assertThat(num(rec, "eval_rewards/rejected")).isCloseTo(0.0, within(1e-4));
      assertThat(num(rec, "eval_rewards/margins")).isCloseTo(BETA * 0.5 / 3, within(1e-4));
      assertThat(num(rec, "eval_logps/chosen")).isCloseTo((pc[0] + pc[1] + pc[2]) / 3.0, within(1e-3));
      assertThat(num(rec, "eval_logps/rejected")).isCloseTo((pr[0] + pr[1] + pr[2]) / 3.0, within(1e-3));
      assertThat(rec).containsKeys("eval_logits/chosen", "eval_logits/rejected", "eval_runtime");
    }
  }

  private static double num(Map<String, Object> rec, String key) {
    assertThat(rec).containsKey(key);
    return ((Number) rec.get(key)).doubleValue();
  }
}
