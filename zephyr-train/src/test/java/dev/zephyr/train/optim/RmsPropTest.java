package dev.zephyr.train.optim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RmsPropTest {

  @Test
  void matchesTorchRmsPropWithL2DecayOnTheWeightOnlyOverThreeSteps() {
    // torch.optim.RMSprop(lr, alpha=0.99, eps=1e-8, weight_decay per group), replayed in double precision below
    float[] w0 = {1.0f, -2.0f, 0.5f, 0.25f};
    float[] b0 = {0.3f, -0.1f};
    float[][] gw = {{0.5f, -1.0f, 2.0f, 0.0f}, {-1.0f, 0.1f, 0.0f, 0.3f}, {0.2f, 0.2f, -3.0f, -0.4f}};
    float[][] gb = {{0.25f, 1e-4f}, {-0.5f, 0f}, {1.0f, 2f}};
    double[] lrs = {0.01, 0.005, 0.02};
    double wd = 0.1;
    double[] w = toDouble(w0);
    double[] b = toDouble(b0);
    double[] vw = new double[4];
    double[] vb = new double[2];
    try (NDManager m = NDManager.newBaseManager()) {
      Map<String, NDArray> params = new LinkedHashMap<>();
      params.put("layer.weight", m.create(w0, new Shape(2, 2)));
      params.put("layer.bias", m.create(b0));
      params.values().forEach(p -> p.setRequiresGradient(true));
      RmsProp opt = new RmsProp(params, m.newSubManager(), wd, Optimizers.BIAS_OR_NORM, Slices.DEFAULT_ELEMENTS);
      for (int t = 0; t < 3; t++) {
        AdamWTest.setGradient(params, Map.of("layer.weight", gw[t], "layer.bias", gb[t]));
        try (NDScope s = new NDScope()) {
          s.suppressNotUsedWarning();
          opt.step(params, lrs[t]);
        }
        step(w, vw, gw[t], lrs[t], wd);
        step(b, vb, gb[t], lrs[t], 0);
        assertClose(params.get("layer.weight").toFloatArray(), w, "weight after step " + (t + 1));
        assertClose(params.get("layer.bias").toFloatArray(), b, "bias after step " + (t + 1));
        assertClose(opt.state().get("layer.weight.square_avg").toFloatArray(), vw, "square_avg");
      }
      // a hand check of step 1 for w[0]: g = 0.5 + 0.1 * 1.0 = 0.6, v = 0.01 * 0.36 = 0.0036, sqrt(v) = 0.06,
      // w = 1 - 0.01 * 0.6 / (0.06 + 1e-8) = 0.9 (then steps 2 and 3 above)
      assertThat(opt.stepCount()).isEqualTo(3);
      assertThat(opt.state()).containsOnlyKeys("layer.weight.square_avg", "layer.bias.square_avg");
      assertThat(opt.name()).isEqualTo(OptimizerName.RMSPROP);
    }
  }

  @Test
  void theFirstStepMovesEachElementByAboutTenTimesTheLearningRate() {
    // with v = (1 - 0.99) g^2 the first update is lr * g / (0.1 |g|) = 10 lr * sign(g), whatever the size of g
    try (NDManager m = NDManager.newBaseManager()) {
      Map<String, NDArray> params = new LinkedHashMap<>();
      params.put("w", m.create(new float[] {0f, 0f, 0f}));
      params.get("w").setRequiresGradient(true);
      RmsProp opt = new RmsProp(params, m.newSubManager(), 0, name -> false, Slices.DEFAULT_ELEMENTS);
      AdamWTest.setGradient(params, Map.of("w", new float[] {1e-3f, -50f, 2f}));
      try (NDScope s = new NDScope()) {
        s.suppressNotUsedWarning();
        opt.step(params, 0.01);
      }
      float[] w = params.get("w").toFloatArray();
      assertThat((double) w[0]).isCloseTo(-0.1, within(1e-5));
      assertThat((double) w[1]).isCloseTo(0.1, within(1e-6));
      assertThat((double) w[2]).isCloseTo(-0.1, within(1e-6));
    }
  }

  private static void step(double[] p, double[] v, float[] g32, double lr, double wd) {
    for (int i = 0; i < p.length; i++) {
      double g = g32[i] + wd * p[i];
      v[i] = 0.99 * v[i] + 0.01 * g * g;
      p[i] -= lr * g / (Math.sqrt(v[i]) + 1e-8);
    }
  }

  static double[] toDouble(float[] a) {
    double[] out = new double[a.length];
    for (int i = 0; i < a.length; i++) {
      out[i] = a[i];
    }
    return out;
  }

  static void assertClose(float[] actual, double[] expected, String what) {
    assertThat(actual).hasSize(expected.length);
    for (int i = 0; i < expected.length; i++) {
      assertThat((double) actual[i]).as("%s [%d]", what, i)
          .isCloseTo(expected[i], within(2e-6 * Math.max(1, Math.abs(expected[i]))));
    }
  }
}
