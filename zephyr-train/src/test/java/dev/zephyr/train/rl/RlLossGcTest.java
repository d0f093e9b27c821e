package dev.zephyr.train.rl;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.zephyr.core.model.LlamaModel;
import dev.zephyr.train.loop.DecoderGraph;
import dev.zephyr.train.loop.Scalars;
import dev.zephyr.train.reward.RewardModel;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A garbage collection between the forward and the backward of PPO's and RLOO's losses (tempered log-probs, clipped
 * ratios, value loss, loss weights) leaves the gradients bit for bit as they were: every number operand that autograd
 * keeps is owned by libtorch ({@link Scalars}), not borrowed from a Java buffer the collector may free.
 */
class RlLossGcTest {

  @Test
  void ppoAndRlooLossesSurviveACollectionBeforeBackward() {
    try (NDManager m = NDManager.newBaseManager();
        LlamaModel policy = ToyWorld.policy(m);
        RewardModel value = ToyWorld.valueModel(m)) {
      Map<String, NDArray> params = new LinkedHashMap<>(policy.parameters());
      value.parameters().forEach((k, v) -> params.put("value_model." + k, v));
      params.values().forEach(p -> p.setRequiresGradient(true));
      ResponseBatch batch = new ResponseBatch(List.of(new int[] {1, 4, 7}, new int[] {1, 9}),
          List.of(new int[] {5, 5, 2}, new int[] {6}), 3);
      for (boolean sequence : new boolean[] {false, true}) {
        Map<String, float[]> quiet = gradients(policy, value, batch, params, sequence, false);
        Map<String, float[]> collected = gradients(policy, value, batch, params, sequence, true);
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
    }
  }

  private static Map<String, float[]> gradients(LlamaModel policy, RewardModel value, ResponseBatch batch,
      Map<String, NDArray> params, boolean sequence, boolean collectInBetween) {
    Map<String, float[]> out = new LinkedHashMap<>();
    NDManager m = policy.manager();
    try (NDScope s = new NDScope(); GradientCollector gc = Engine.getInstance().newGradientCollector()) {
      s.suppressNotUsedWarning();
      PolicyOutputs o = PolicyOutputs.of(policy, DecoderGraph.forward(policy, batch.rows(), false), batch, 0.7);
      NDArray old = m.create(new float[] {-2.4f, -2.6f, -2.2f, -2.5f, 0f, 0f}, new Shape(2, 3));
      NDArray mask = batch.mask(m, 0);
      NDArray loss;
      if (sequence) {
        loss = ClippedLosses.sequencePolicy(o.logprobs(), old, m.create(new float[] {1.5f, -0.5f}), mask, 0.2)
            .loss();
      } else {
        NDArray adv = m.create(new float[] {1f, -1f, 0.5f, 2f, 0f, 0f}, new Shape(2, 3));
        NDArray predicted = PolicyOutputs.values(value, DecoderGraph.forward(value.decoder(), batch.rows(), false),
            batch);
        NDArray oldValues = m.create(new float[] {0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0f}, new Shape(2, 3));
        NDArray returns = m.create(new float[] {1f, 1f, 1f, 1f, 1f, 0f}, new Shape(2, 3));
        loss = ClippedLosses.tokenPolicy(o.logprobs(), old, adv, mask, 0.2).loss()
            .add(Scalars.mul(ClippedLosses.value(predicted, oldValues, returns, batch.mask(m, 1), 0.2).loss(), 0.1));
      }
      loss = Scalars.div(loss, 2);
      if (collectInBetween) {
        List<NDArray> filler = new ArrayList<>();
        for (int round = 0; round < 3; round++) {
          System.gc();
          try {
            Thread.sleep(50);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          for (int i = 0; i < 2000; i++) {
            filler.add(m.create(1e30f));
          }
        }
        gc.backward(loss);
        filler.forEach(NDArray::close);
      } else {
        gc.backward(loss);
      }
      params.forEach((k, p) -> out.put(k, p.hasGradient() ? p.getGradient().toFloatArray() : new float[0]));
      params.values().forEach(p -> {
        if (p.hasGradient()) {
          p.getGradient().subi(p.getGradient());
        }
      });
    }
    return out;
  }
}
