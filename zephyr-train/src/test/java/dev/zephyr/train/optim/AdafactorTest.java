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

class AdafactorTest {

  @Test
  void matchesTransformersAdafactorForAMatrixAndAVectorOverThreeSteps() {
    // transformers.Adafactor(scale_parameter=False, relative_step=False, warmup_init=False, lr), replayed in double
    float[] w0 = {1.0f, -2.0f, 0.5f, 0.25f, -0.75f, 1.5f};
    float[] b0 = {0.3f, -0.1f, 0.2f};
    float[][] gw = {{0.5f, -1.0f, 2.0f, 0.1f, 0.3f, -0.2f}, {-1.0f, 0.1f, 0.05f, 0.3f, -0.6f, 0.4f},
        {0.2f, 0.2f, -3.0f, -0.4f, 0.1f, 0.9f}};
    float[][] gb = {{0.25f, 1e-3f, -0.5f}, {-0.5f, 0.2f, 0.1f}, {1.0f, 2f, -0.3f}};
    double[] lrs = {0.01, 0.005, 0.02};
    double wd = 0.1;
    double[] w = RmsPropTest.toDouble(w0);
    double[] b = RmsPropTest.toDouble(b0);
    double[] row = new double[2];
    double[] col = new double[3];
    double[] vb = new double[3];
    try (NDManager m = NDManager.newBaseManager()) {
      Map<String, NDArray> params = new LinkedHashMap<>();
      params.put("layer.weight", m.create(w0, new Shape(2, 3)));
      params.put("layer.bias", m.create(b0));
      params.values().forEach(p -> p.setRequiresGradient(true));
      Adafactor opt = new Adafactor(params, m.newSubManager(), wd, Optimizers.BIAS_OR_NORM);
      assertThat(opt.state().get("layer.weight.exp_avg_sq_row").getShape()).isEqualTo(new Shape(2));
      assertThat(opt.state().get("layer.weight.exp_avg_sq_col").getShape()).isEqualTo(new Shape(3));
      assertThat(opt.state()).containsOnlyKeys("layer.weight.exp_avg_sq_row", "layer.weight.exp_avg_sq_col",
          "layer.bias.exp_avg_sq");
      for (int t = 0; t < 3; t++) {
        AdamWTest.setGradient(params, Map.of("layer.weight", gw[t], "layer.bias", gb[t]));
        try (NDScope s = new NDScope()) {
          s.suppressNotUsedWarning();
          opt.step(params, lrs[t]);
        }
        factoredStep(w, row, col, gw[t], t + 1, lrs[t], wd);
        vectorStep(b, vb, gb[t], t + 1, lrs[t]);
        RmsPropTest.assertClose(params.get("layer.weight").toFloatArray(), w, "weight after step " + (t + 1));
        RmsPropTest.assertClose(params.get("layer.bias").toFloatArray(), b, "bias after step " + (t + 1));
        RmsPropTest.assertClose(opt.state().get("layer.weight.exp_avg_sq_row").toFloatArray(), row, "row");
        RmsPropTest.assertClose(opt.state().get("layer.weight.exp_avg_sq_col").toFloatArray(), col, "col");
      }
    }
  }

  @Test
  void theFirstUpdateHasRmsEqualToTheLearningRate() {
    // step 1: rho = 0, so v = g^2 and u = sign(g) elementwise (RMS 1, not clipped): p moves by exactly lr
    try (NDManager m = NDManager.newBaseManager()) {
      Map<String, NDArray> params = new LinkedHashMap<>();
      params.put("w", m.create(new float[] {0f, 0f, 0f}));
      params.get("w").setRequiresGradient(true);
      Adafactor opt = new Adafactor(params, m.newSubManager(), 0, name -> false);
      AdamWTest.setGradient(params, Map.of("w", new float[] {1e-3f, -50f, 2f}));
      try (NDScope s = new NDScope()) {
        s.suppressNotUsedWarning();
        opt.step(params, 0.01);
      }
      float[] w = params.get("w").toFloatArray();
      assertThat(w[0]).isCloseTo(-0.01f, within(1e-7f));
      assertThat(w[1]).isCloseTo(0.01f, within(1e-7f));
      assertThat(w[2]).isCloseTo(-0.01f, within(1e-7f));
    }
  }

  private static double rho(int t) {
    return 1.0 - Math.pow(t, -0.8);
  }

  /** transformers' factored branch for a 2 x 3 matrix, then RMS clipping, decoupled decay and the update. */
  private static void factoredStep(double[] p, double[] row, double[] col, float[] g, int t, double lr, double wd) {
    double rho = rho(t);
    double[] u = new double[6];
    for (int i = 0; i < 6; i++) {
      u[i] = (double) g[i] * g[i] + 1e-30;
    }
    for (int r = 0; r < 2; r++) {
      row[r] = rho * row[r] + (1 - rho) * (u[r * 3] + u[r * 3 + 1] + u[r * 3 + 2]) / 3;
    }
    for (int c = 0; c < 3; c++) {
      col[c] = rho * col[c] + (1 - rho) * (u[c] + u[3 + c]) / 2;
    }
    double rowMean = (row[0] + row[1]) / 2;
    for (int r = 0; r < 2; r++) {
      for (int c = 0; c < 3; c++) {
        u[r * 3 + c] = g[r * 3 + c] / Math.sqrt(row[r] / rowMean) / Math.sqrt(col[c]);
      }
    }
    apply(p, u, lr, wd);
  }

  private static void vectorStep(double[] p, double[] v, float[] g, int t, double lr) {
    double rho = rho(t);
    double[] u = new double[p.length];
    for (int i = 0; i < p.length; i++) {
      v[i] = rho * v[i] + (1 - rho) * ((double) g[i] * g[i] + 1e-30);
      u[i] = g[i] / Math.sqrt(v[i]);
    }
    apply(p, u, lr, 0);
  }

  private static void apply(double[] p, double[] u, double lr, double wd) {
    double sumSq = 0;
    for (double x : u) {
      sumSq += x * x;
    }
    double divisor = Math.max(Math.sqrt(sumSq / u.length) / 1.0, 1.0);
    for (int i = 0; i < p.length; i++) {
      p[i] = p[i] - wd * lr * p[i] - lr * u[i] / divisor;
    }
  }
}
