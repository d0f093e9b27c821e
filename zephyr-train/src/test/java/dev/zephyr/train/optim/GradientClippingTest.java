package dev.zephyr.train.optim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GradientClippingTest {

  @Test
  void scalesAllGradientsByTheGlobalNormAndReturnsThePreClipNorm() {
    // Gradients (3, 4) and (12): global norm sqrt(9 + 16 + 144) = 13. torch.nn.utils.clip_grad_norm_(max 1.0)
    // returns 13 and leaves (0.23076921701431274, 0.307692289352417) and (0.923076868057251).
    try (NDManager m = NDManager.newBaseManager()) {
      Map<String, NDArray> p = new LinkedHashMap<>();
      p.put("a", m.zeros(new ai.djl.ndarray.types.Shape(2)));
      p.put("b", m.zeros(new ai.djl.ndarray.types.Shape(1)));
      p.values().forEach(x -> x.setRequiresGradient(true));
      AdamWTest.setGradient(p, Map.of("a", new float[] {3, 4}, "b", new float[] {12}));
      double norm = GradientClipping.clipGlobalNorm(p.values(), 1.0);
      assertThat(norm).isCloseTo(13.0, within(1e-5));
      float[] a = p.get("a").getGradient().toFloatArray();
      assertThat((double) a[0]).isCloseTo(0.23076921701431274, within(1e-7));
      assertThat((double) a[1]).isCloseTo(0.307692289352417, within(1e-7));
      assertThat((double) p.get("b").getGradient().getFloat()).isCloseTo(0.923076868057251, within(1e-7));
    }
  }

  @Test
  void leavesSmallGradientsAloneAndMeasuresWithoutClippingWhenMaxIsZero() {
    try (NDManager m = NDManager.newBaseManager()) {
      Map<String, NDArray> p = new LinkedHashMap<>();
      p.put("a", m.zeros(new ai.djl.ndarray.types.Shape(2)));
      p.get("a").setRequiresGradient(true);
      AdamWTest.setGradient(p, Map.of("a", new float[] {0.3f, 0.4f}));
      assertThat(GradientClipping.clipGlobalNorm(p.values(), 1.0)).isCloseTo(0.5, within(1e-6));
      assertThat(p.get("a").getGradient().toFloatArray()).containsExactly(0.3f, 0.4f);
      AdamWTest.setGradient(p, Map.of("a", new float[] {30f, 40f}));
      assertThat(GradientClipping.clipGlobalNorm(p.values(), 0)).isCloseTo(50, within(1e-4));
      assertThat(p.get("a").getGradient().toFloatArray()).containsExactly(30f, 40f);
    }
  }

  @Test
  void slicedNormAgreesWithTheWholeTensorNormAndScalesInPlace() {
    // a 40 x 30 gradient reduced in slices of 7 rows (210 elements) against one whole-tensor sum
    java.util.Random r = new java.util.Random(11);
    float[] g = AdamWTest.gauss(r, 1200, 3f);
    double exact = 0;
    for (float x : g) {
      exact += (double) x * x;
    }
    exact = Math.sqrt(exact);
    try (NDManager m = NDManager.newBaseManager()) {
      Map<String, NDArray> whole = new LinkedHashMap<>();
      whole.put("w", m.zeros(new ai.djl.ndarray.types.Shape(40, 30)));
      Map<String, NDArray> sliced = new LinkedHashMap<>();
      sliced.put("w", m.zeros(new ai.djl.ndarray.types.Shape(40, 30)));
      whole.get("w").setRequiresGradient(true);
      sliced.get("w").setRequiresGradient(true);
      AdamWTest.setGradient(whole, Map.of("w", g));
      AdamWTest.setGradient(sliced, Map.of("w", g));
      NDArray before = sliced.get("w").getGradient();
      double n1 = GradientClipping.clipGlobalNorm(whole.values(), 1.0);
      double n2 = GradientClipping.clipGlobalNorm(sliced.values(), 1.0, 210);
      assertThat(n1).isCloseTo(exact, within(exact * 1e-6));
      assertThat(n2).isCloseTo(n1, within(n1 * 1e-7));
      float[] a = whole.get("w").getGradient().toFloatArray();
      float[] b = before.toFloatArray(); // the handle taken before clipping sees the scaled values: in place
      for (int i = 0; i < a.length; i++) {
        assertThat((double) b[i]).isCloseTo(a[i], within(Math.abs(a[i]) * 1e-6 + 1e-12));
        assertThat((double) a[i]).isCloseTo(g[i] / (exact + 1e-6), within(Math.abs(g[i]) / exact * 1e-5 + 1e-9));
      }
    }
  }
}
