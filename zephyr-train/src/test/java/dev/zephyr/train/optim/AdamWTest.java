package dev.zephyr.train.optim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import ai.djl.ndarray.types.Shape;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class AdamWTest {

  /** Sets the gradient of {@code p} to {@code g} through autograd (d/dp of sum(p * g) = g). */
  static void setGradient(Map<String, NDArray> params, Map<String, float[]> grads) {
    try (NDScope s = new NDScope(); GradientCollector gc = ai.djl.engine.Engine.getInstance().newGradientCollector()) {
      s.suppressNotUsedWarning();
      NDArray total = null;
      for (Map.Entry<String, NDArray> e : params.entrySet()) {
        NDArray p = e.getValue();
        if (p.hasGradient()) {
          JniUtils.zeroGrad((PtNDArray) p);
        }
        NDArray term = p.mul(p.getManager().create(grads.get(e.getKey()), p.getShape())).sum();
        total = total == null ? term : total.add(term);
      }
      gc.backward(total);
    }
  }

  @Test
  void matchesTorchAdamWWithParameterGroupsOverThreeSteps() {
    // Goldens: torch.optim.AdamW(float64), groups {w: weight_decay 0.1, b: 0.0}, betas (0.9, 0.999), eps 1e-8,
    // lr set to 0.01, 0.005, 0.02 before the three steps.
    try (NDManager m = NDManager.newBaseManager()) {
      Map<String, NDArray> params = new LinkedHashMap<>();
      params.put("layer.weight", m.create(new float[] {1.0f, -2.0f, 0.5f}));
      params.put("layer.bias", m.create(new float[] {0.3f}));
      params.values().forEach(p -> p.setRequiresGradient(true));
      AdamW opt = AdamW.builder().weightDecay(0.1).noDecayForBiasAndNorm().build(params, m.newSubManager());
      float[][] gw = {{0.5f, -1.0f, 2.0f}, {-1.0f, 0.1f, 0.0f}, {0.2f, 0.2f, -3.0f}};
      float[][] gb = {{0.25f}, {-0.5f}, {1.0f}};
      double[] lrs = {0.01, 0.005, 0.02};
      double[][] expectW = {
          {0.9890000002, -1.9880000001, 0.48950000005},
          {0.9903360178119283, -1.9840427575703887, 0.4859049588029884},
          {0.9916756960756136, -1.9735849109763595, 0.4898246838277586}};
      double[] expectB = {0.29000000039999996, 0.29183051798887727, 0.2834374057478084};
      for (int t = 0; t < 3; t++) {
        setGradient(params, Map.of("layer.weight", gw[t], "layer.bias", gb[t]));
        try (NDScope s = new NDScope()) {
          s.suppressNotUsedWarning();
          opt.step(params, lrs[t]);
        }
        float[] w = params.get("layer.weight").toFloatArray();
        for (int i = 0; i < 3; i++) {
          assertThat((double) w[i]).as("w[%d] after step %d", i, t + 1).isCloseTo(expectW[t][i], within(2e-6));
        }
        assertThat((double) params.get("layer.bias").getFloat()).isCloseTo(expectB[t], within(2e-6));
      }
      assertThat(opt.stepCount()).isEqualTo(3);
      assertThat(opt.weightDecayFor("layer.bias")).isZero();
      assertThat(opt.weightDecayFor("model.norm.weight")).isZero();
      assertThat(opt.weightDecayFor("layer.weight")).isEqualTo(0.1);
    }
  }

  @Test
  void epsilonIsAddedAfterBiasCorrectionAsTorchDoes() {
    // One step, g = 1e-6, eps = 1e-6: torch gives denom = |g| + eps = 2e-6, so the step is lr * 0.5.
    // DJL's native Adam (eps before correction) would give lr * 1e-6 / (1e-6*sqrt(0.001) + 1e-6) = lr * 0.969.
    try (NDManager m = NDManager.newBaseManager()) {
      Map<String, NDArray> params = new LinkedHashMap<>();
      params.put("w", m.create(new float[] {0f}));
      params.get("w").setRequiresGradient(true);
      AdamW opt = AdamW.builder().eps(1e-6).weightDecay(0).build(params, m.newSubManager());
      setGradient(params, Map.of("w", new float[] {1e-6f}));
      try (NDScope s = new NDScope()) {
        s.suppressNotUsedWarning();
        opt.step(params, 1.0);
      }
      assertThat((double) params.get("w").getFloat()).isCloseTo(-0.5, within(1e-4));
    }
  }

  static float[] gauss(Random r, int n, float scale) {
    float[] out = new float[n];
    for (int i = 0; i < n; i++) {
      out[i] = (float) r.nextGaussian() * scale;
    }
    return out;
  }

  /** The update as zephyr computed it before steps were sliced and scoped: whole tensors, same operations. */
  private static void previousStep(Map<String, NDArray> params, Map<String, NDArray> m, Map<String, NDArray> v,
      long t, double lr, double wd) {
    double bc1 = 1 - Math.pow(0.9, t);
    double bc2Sqrt = Math.sqrt(1 - Math.pow(0.999, t));
    for (Map.Entry<String, NDArray> e : params.entrySet()) {
      NDArray p = e.getValue();
      NDArray g = p.getGradient();
      p.muli(1 - lr * wd);
      m.get(e.getKey()).muli(0.9).addi(g.mul(1 - 0.9));
      v.get(e.getKey()).muli(0.999).addi(g.square().muli(1 - 0.999));
      NDArray denom = v.get(e.getKey()).sqrt().divi(bc2Sqrt).addi(1e-8);
      p.subi(m.get(e.getKey()).div(denom).muli(lr / bc1));
    }
  }

  @Test
  void slicedInPlaceStepsAreBitIdenticalToThePreviousWholeTensorSteps() {
    // slices of at most 16 elements: the 9 x 7 matrix in pieces of 2 rows, the 40-vector in pieces of 16
    Random r = new Random(3);
    float[] w0 = gauss(r, 9 * 7, 1f);
    float[] b0 = gauss(r, 40, 1f);
    try (NDManager m = NDManager.newBaseManager()) {
      Map<String, NDArray> sliced = new LinkedHashMap<>();
      sliced.put("w", m.create(w0, new Shape(9, 7)));
      sliced.put("b", m.create(b0));
      Map<String, NDArray> whole = new LinkedHashMap<>();
      whole.put("w", m.create(w0, new Shape(9, 7)));
      whole.put("b", m.create(b0));
      sliced.values().forEach(p -> p.setRequiresGradient(true));
      whole.values().forEach(p -> p.setRequiresGradient(true));
      AdamW opt = AdamW.builder().weightDecay(0.05).sliceElements(16).build(sliced, m.newSubManager());
      Map<String, NDArray> mm = new LinkedHashMap<>();
      Map<String, NDArray> vv = new LinkedHashMap<>();
      whole.forEach((k, p) -> {
        mm.put(k, m.zeros(p.getShape()));
        vv.put(k, m.zeros(p.getShape()));
      });
      double[] lrs = {1e-2, 3e-3, 2e-2};
      for (int t = 0; t < 3; t++) {
        Map<String, float[]> grads = Map.of("w", gauss(r, 63, 0.5f), "b", gauss(r, 40, 0.5f));
        setGradient(sliced, grads);
        setGradient(whole, grads);
        try (NDScope s = new NDScope()) {
          s.suppressNotUsedWarning();
          opt.step(sliced, lrs[t]);
          previousStep(whole, mm, vv, t + 1, lrs[t], 0.05);
        }
        for (String k : whole.keySet()) {
          assertThat(sliced.get(k).toFloatArray()).as("%s after step %d", k, t + 1)
              .containsExactly(whole.get(k).toFloatArray());
          assertThat(opt.expAvgSq().get(k).toFloatArray()).containsExactly(vv.get(k).toFloatArray());
        }
      }
      assertThat(sliced.get("w").toFloatArray()).isNotEqualTo(w0);
      assertThat(opt.state()).containsOnlyKeys("w.exp_avg", "b.exp_avg", "w.exp_avg_sq", "b.exp_avg_sq");
      assertThat(opt.state().get("w.exp_avg")).isSameAs(opt.expAvg().get("w"));
    }
  }
}
