package dev.zephyr.train.loop;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import dev.zephyr.core.model.LlamaModel;
import dev.zephyr.train.TinyModels;
import dev.zephyr.train.dpo.DpoExample;
import dev.zephyr.train.dpo.DpoLoss;
import dev.zephyr.train.dpo.DpoLossType;
import dev.zephyr.train.dpo.DpoTask;
import dev.zephyr.train.dpo.ReferenceLogps;
import dev.zephyr.train.reward.BradleyTerryLoss;
import dev.zephyr.train.reward.RewardModel;
import dev.zephyr.train.reward.RewardTask;
import dev.zephyr.train.sft.SftSequence;
import dev.zephyr.train.sft.SftTask;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A garbage collection between a loss's forward and its backward must not change the gradients. DJL frees the memory
 * behind number operands once their buffers are collected; with {@code x.mul(beta)} and kin in a loss, backward then
 * read reused memory (gradients of 1e37 or Inf were measured), so losses use {@link Scalars}. Each test builds a loss,
 * forces a collection, fills freshly freed memory with other scalars, and only then runs backward.
 */
class GcBetweenForwardAndBackwardTest {
  static final int VOCAB = 24;

  @Test
  void dpoLossesWithEveryNumberOperand() {
    try (NDManager m = NDManager.newBaseManager(); LlamaModel policy = TinyModels.random(m, VOCAB, 1);
        LlamaModel ref = TinyModels.random(m, VOCAB, 2)) {
      DpoLoss loss = new DpoLoss(0.5, 0.1, List.of(DpoLossType.SIGMOID, DpoLossType.HINGE, DpoLossType.ROBUST,
          DpoLossType.NCA_PAIR, DpoLossType.APO_ZERO, DpoLossType.SFT), List.of(1.0, 0.5, 0.5, 0.3, 0.3, 0.2));
      List<DpoExample> cached = ReferenceLogps.compute(ref, FusedHeadTest.pairs(5, 7), 5);
      DpoTask task = new DpoTask(policy, null, loss, 5, 100);
      assertGcDoesNotChangeGradients(task, policy.parameters(), task.collate(cached));
    }
  }

  @Test
  void sft() {
    try (NDManager m = NDManager.newBaseManager(); LlamaModel model = TinyModels.random(m, VOCAB, 3)) {
      Random r = new Random(5);
      List<SftSequence> rows = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        int[] ids = FusedHeadTest.tokens(r, 5 + i);
        int[] mask = new int[ids.length];
        java.util.Arrays.fill(mask, 2, ids.length, 1);
        rows.add(SftSequence.of(ids, mask));
      }
      SftTask task = new SftTask(model, 5);
      assertGcDoesNotChangeGradients(task, model.parameters(), task.collate(rows));
    }
  }

  @Test
  void rewardModelWithMarginsAndCentering() {
    try (NDManager m = NDManager.newBaseManager()) {
      RewardModel rm = RewardModel.withNewHead(TinyModels.random(m, VOCAB, 4), 0.5, 1);
      Random r = new Random(9);
      List<RewardTask.Pair> pairs = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        pairs.add(new RewardTask.Pair(FusedHeadTest.tokens(r, 3 + i), FusedHeadTest.tokens(r, 4), 0.25 * i));
      }
      RewardTask task = new RewardTask(rm, new BradleyTerryLoss(0.3));
      assertGcDoesNotChangeGradients(task, rm.parameters(), task.collate(pairs));
    }
  }

  private static <B> void assertGcDoesNotChangeGradients(TrainingTask<?, B> task, Map<String, NDArray> parameters,
      B batch) {
    Map<String, NDArray> params = new LinkedHashMap<>(parameters);
    params.values().forEach(p -> p.setRequiresGradient(true));
    Map<String, float[]> quiet = gradients(task, params, batch, false);
    Map<String, float[]> collected = gradients(task, params, batch, true);
    double largest = 0;
    for (String name : params.keySet()) {
      float[] a = quiet.get(name);
      float[] b = collected.get(name);
      for (int i = 0; i < a.length; i++) {
        largest = Math.max(largest, Math.abs(a[i]));
        assertThat(b[i]).as("d loss / d %s[%d] after a GC", name, i).isEqualTo(a[i]);
      }
    }
    assertThat(largest).as("gradients are non-trivial").isGreaterThan(1e-4);
  }

  private static <B> Map<String, float[]> gradients(TrainingTask<?, B> task, Map<String, NDArray> params, B batch,
      boolean collectInBetween) {
    Map<String, float[]> out = new LinkedHashMap<>();
    try (NDScope s = new NDScope(); GradientCollector gc = Engine.getInstance().newGradientCollector()) {
      s.suppressNotUsedWarning();
      NDArray loss = Scalars.div(task.loss(params, batch, StepContext.of(0, 0, 0)).lossSum(), 3);
      if (collectInBetween) {
        NDManager m = loss.getManager();
        List<NDArray> filler = new ArrayList<>();
        for (int round = 0; round < 3; round++) {
          System.gc();
          sleep();
          for (int i = 0; i < 2000; i++) {
            filler.add(m.create(1e30f));
          }
        }
        gc.backward(loss);
        filler.forEach(NDArray::close);
      } else {
        gc.backward(loss);
      }
      params.forEach((k, v) -> out.put(k, v.getGradient().toFloatArray()));
      params.values().forEach(p -> JniUtils.zeroGrad((PtNDArray) p));
    }
    return out;
  }

  private static void sleep() {
    try {
      Thread.sleep(20);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
