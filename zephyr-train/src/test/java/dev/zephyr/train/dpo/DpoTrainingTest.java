package dev.zephyr.train.dpo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.JsonNode;
import dev.zephyr.core.io.Jsonl;
import dev.zephyr.core.model.LlamaModel;
import dev.zephyr.train.TinyModels;
import dev.zephyr.train.loop.StepContext;
import dev.zephyr.train.loop.Trainer;
import dev.zephyr.train.loop.TrainingArguments;
import dev.zephyr.train.optim.SchedulerType;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DpoTrainingTest {
  static final int VOCAB = 16;

  /** Prompts of random tokens; chosen completions use even ids, rejected ones odd ids. */
  static List<DpoExample> pairs(int n, long seed) {
    Random r = new Random(seed);
    List<DpoExample> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      int[] prompt = new int[2 + r.nextInt(3)];
      for (int k = 0; k < prompt.length; k++) {
        prompt[k] = r.nextInt(VOCAB);
      }
      int[] chosen = new int[2 + r.nextInt(3)];
      int[] rejected = new int[2 + r.nextInt(3)];
      for (int k = 0; k < chosen.length; k++) {
        chosen[k] = 2 * r.nextInt(VOCAB / 2);
      }
      for (int k = 0; k < rejected.length; k++) {
        rejected[k] = 2 * r.nextInt(VOCAB / 2) + 1;
      }
      out.add(DpoExample.of(prompt, chosen, rejected));
    }
    return out;
  }

  private static double loss(DpoTask task, DpoTask.Batch b, Map<String, NDArray> p) {
    try (NDScope s = new NDScope()) {
      s.suppressNotUsedWarning();
      return task.loss(p, b, StepContext.of(0, 0, 0)).lossSum().getFloat();
    }
  }

  /**
   * TRL's logits/chosen and logits/rejected: the vocabulary-mean logit over the positions that predict completion
   * tokens, pooled over the micro-batch; computed here from full logits of each sequence alone (no padding), and the
   * same whether the micro-batch runs as one forward or several.
   */
  @Test
  void logitMetricsAreTheMeanLogitOverCompletionPositions() {
    try (NDManager m = NDManager.newBaseManager(); LlamaModel policy = TinyModels.random(m, VOCAB, 1);
        LlamaModel ref = TinyModels.random(m, VOCAB, 2); NDScope s = new NDScope()) {
      s.suppressNotUsedWarning();
      List<DpoExample> pairs = pairs(3, 5);
      double[] sum = new double[2];
      long[] count = new long[2];
      for (DpoExample e : pairs) {
        for (int side = 0; side < 2; side++) {
          int[] seq = e.sequence(side == 0);
          long[] ids = java.util.Arrays.stream(seq).asLongStream().toArray();
          float[] logits = policy.forward(m.create(ids, new ai.djl.ndarray.types.Shape(1, ids.length)), null, null,
              null).toFloatArray();
          for (int pos = e.promptIds().length - 1; pos < seq.length - 1; pos++) {
            double mean = 0;
            for (int v = 0; v < VOCAB; v++) {
              mean += logits[pos * VOCAB + v];
            }
            sum[side] += mean / VOCAB;
            count[side]++;
          }
        }
      }
      Map<String, NDArray> p = new LinkedHashMap<>(policy.parameters());
      p.values().forEach(x -> x.setRequiresGradient(true));
      for (int perForward : new int[] {3, 1}) {
        DpoTask task = new DpoTask(policy, ref, DpoLoss.sigmoid(0.1), 4, perForward);
        Map<String, Double> metrics;
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
          metrics = task.lossAndBackward(p, task.collate(pairs), StepContext.of(0, 0, 0), 3, gc).metrics();
        }
        assertThat(metrics.get("logits/chosen")).as("pairs per forward %d", perForward)
            .isCloseTo(sum[0] / count[0], within(1e-5));
        assertThat(metrics.get("logits/rejected")).isCloseTo(sum[1] / count[1], within(1e-5));
        assertThat(metrics.keySet()).containsExactly("rewards/chosen", "rewards/rejected", "rewards/accuracies",
            "rewards/margins", "logps/chosen", "logps/rejected", "logits/chosen", "logits/rejected");
      }
      assertThat(sum[0] / count[0]).isNotCloseTo(sum[1] / count[1], within(1e-6));
    }
  }

  @Test
  void gradientsMatchFiniteDifferences() {
    try (NDManager m = NDManager.newBaseManager(); LlamaModel policy = TinyModels.random(m, VOCAB, 1);
        LlamaModel ref = TinyModels.random(m, VOCAB, 2)) {
      DpoTask task = new DpoTask(policy, ref, new DpoLoss(0.5, 0, List.of(DpoLossType.SIGMOID, DpoLossType.SFT),
          List.of(1.0, 0.1)), 3);
      DpoTask.Batch b = task.collate(pairs(3, 5));
      Map<String, NDArray> p = new LinkedHashMap<>(policy.parameters());
      String name = "model.layers.1.mlp.down_proj.weight";
      NDArray w = p.get(name);
      w.setRequiresGradient(true);
      float[] grad;
      try (NDScope s = new NDScope(); GradientCollector gc = Engine.getInstance().newGradientCollector()) {
        s.suppressNotUsedWarning();
        gc.backward(task.loss(p, b, StepContext.of(0, 0, 0)).lossSum());
        grad = w.getGradient().toFloatArray();
      }
      float[] values = w.toFloatArray();
      Random r = new Random(3);
      double h = 1e-2;
      int checked = 0;
      for (int k = 0; k < 8; k++) {
        int i = r.nextInt(values.length);
        float[] plus = values.clone();
        plus[i] += (float) h;
        w.set(plus);
        double lp = loss(task, b, p);
        float[] minus = values.clone();
        minus[i] -= (float) h;
        w.set(minus);
        double lm = loss(task, b, p);
        w.set(values);
        double fd = (lp - lm) / (2 * h);
        assertThat((double) grad[i]).as("d loss / d %s[%d]", name, i)
            .isCloseTo(fd, within(2e-3 + 0.05 * Math.abs(fd)));
        if (Math.abs(fd) > 1e-3) {
          checked++;
        }
      }
      assertThat(checked).as("coordinates with a non-trivial gradient").isGreaterThan(3);
    }
  }

  @Test
  void shortRunDrivesHeldOutRewardAccuracyAboveNinety(@TempDir Path dir) {
    List<DpoExample> train = pairs(64, 11);
    List<DpoExample> heldOut = pairs(32, 99);
    try (NDManager m = NDManager.newBaseManager(); LlamaModel policy = TinyModels.random(m, VOCAB, 4);
        LlamaModel ref = TinyModels.random(m, VOCAB, 4)) {
      double before = heldOutAccuracy(policy, ref, heldOut);
      TrainingArguments args = TrainingArguments.builder(dir).learningRate(3e-3)
          .lrSchedulerType(SchedulerType.LINEAR).warmupRatio(0.1).numTrainEpochs(3).perDeviceTrainBatchSize(8)
          .saveSteps(0).loggingSteps(4).disableTqdm(true).build();
      // cached reference: the frozen copy's log-probs are computed once; training holds one model
      List<DpoExample> cached = ReferenceLogps.compute(ref, train, 16);
      try (Trainer<DpoExample, DpoTask.Batch> t = new Trainer<>(args,
          new DpoTask(policy, null, DpoLoss.sigmoid(0.1)), cached, new LinkedHashMap<>(policy.parameters()))) {
        t.train();
      }
      double after = heldOutAccuracy(policy, ref, heldOut);
      assertThat(after).as("held-out rewards/accuracies (before %.2f)", before).isGreaterThan(0.9);
      List<JsonNode> log = Jsonl.readAll(dir.resolve("metrics.jsonl"));
      JsonNode last = log.get(log.size() - 1);
      for (String k : List.of("rewards/chosen", "rewards/rejected", "rewards/accuracies", "rewards/margins",
          "logps/chosen", "logps/rejected")) {
        assertThat(last.has(k)).as(k).isTrue();
      }
      assertThat(last.get("rewards/margins").asDouble()).isGreaterThan(log.get(0).get("rewards/margins").asDouble());
      assertThat(last.get("loss").asDouble()).isLessThan(0.69);
    }
  }

  @Test
  void cachedReferenceEqualsLiveReference(@TempDir Path dir) {
    try (NDManager m = NDManager.newBaseManager(); LlamaModel policy = TinyModels.random(m, VOCAB, 1);
        LlamaModel ref = TinyModels.random(m, VOCAB, 2)) {
      List<DpoExample> data = pairs(5, 8);
      List<DpoExample> first = ReferenceLogps.cached(dir, ref, "tok-digest", data, 2);
      List<DpoExample> second = ReferenceLogps.cached(dir, ref, "tok-digest", data, 3);
      assertThat(dir.toFile().list()).hasSize(1);
      DpoTask live = new DpoTask(policy, ref, DpoLoss.sigmoid(0.1));
      DpoTask cached = new DpoTask(policy, null, DpoLoss.sigmoid(0.1));
      Map<String, NDArray> p = policy.parameters();
      double a = loss(live, live.collate(data), p);
      double b = loss(cached, cached.collate(first), p);
      assertThat(b).isCloseTo(a, within(1e-5));
      for (int i = 0; i < data.size(); i++) {
        assertThat(second.get(i).refChosenLogp()).isEqualTo(first.get(i).refChosenLogp());
      }
      // another tokenizer digest is another cache entry
      ReferenceLogps.cached(dir, ref, "other", data, 2);
      assertThat(dir.toFile().list()).hasSize(2);
    }
  }

  static double heldOutAccuracy(LlamaModel policy, LlamaModel ref, List<DpoExample> pairs) {
    List<DpoExample> pol = ReferenceLogps.compute(policy, pairs, 16);
    List<DpoExample> rf = ReferenceLogps.compute(ref, pairs, 16);
    int right = 0;
    for (int i = 0; i < pairs.size(); i++) {
      double c = pol.get(i).refChosenLogp() - rf.get(i).refChosenLogp();
      double r = pol.get(i).refRejectedLogp() - rf.get(i).refRejectedLogp();
      right += c > r ? 1 : 0;
    }
    return (double) right / pairs.size();
  }
}
