package dev.zephyr.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.Random;
import org.junit.jupiter.api.Test;

class TorchKernelsTest {
  /** float32 rounded to the nearest bfloat16 (ties to even), as a float32. */
  static float bf16(float x) {
    int bits = Float.floatToRawIntBits(x);
    int rounded = bits + 0x7FFF + ((bits >> 16) & 1);
    return Float.intBitsToFloat(rounded & 0xFFFF0000);
  }

  static float[] random(Random r, int n) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = (float) r.nextGaussian();
    }
    return a;
  }

  @Test
  void theBf16LinearIsTheFloat32ProductOfBf16RoundedOperands() {
    Random r = new Random(5);
    int rows = 3;
    int in = 40;
    int out = 7;
    float[] x = random(r, rows * in);
    float[] w = random(r, out * in);
    float[] b = random(r, out);
    try (NDManager m = NDManager.newBaseManager()) {
      float[] y = MatmulBackend.BF16.linear(m.create(x, new Shape(rows, in)), m.create(w, new Shape(out, in)),
          m.create(b, new Shape(out))).toFloatArray();
      float[] yNoBias = MatmulBackend.BF16.linear(m.create(x, new Shape(rows, in)), m.create(w, new Shape(out, in)),
          null).toFloatArray();
      for (int i = 0; i < rows; i++) {
        for (int o = 0; o < out; o++) {
          double dot = 0;
          double exact = 0;
          for (int k = 0; k < in; k++) {
            dot += (double) bf16(x[i * in + k]) * bf16(w[o * in + k]);
            exact += (double) x[i * in + k] * w[o * in + k];
          }
          // accumulated in float32, the product comes back rounded to bfloat16 (as autocast's matmul output)
          float product = yNoBias[i * out + o];
          assertThat(bf16(product)).as("a bfloat16 value").isEqualTo(product);
          assertThat((double) product).isCloseTo(dot, within(1e-5 + Math.abs(dot) / 256));
          assertThat(y[i * out + o]).as("float32 bias added").isCloseTo(product + b[o], within(1e-6f));
          assertThat(Math.abs(yNoBias[i * out + o] - exact)).as("bf16 differs from float32").isLessThan(0.2);
        }
      }
      assertThat(yNoBias).as("rounding is visible").isNotEqualTo(
          m.create(x, new Shape(rows, in)).matMul(m.create(w, new Shape(out, in)).transpose()).toFloatArray());
    }
  }

  @Test
  void gradientsFlowBackAsFloat32() {
    Random r = new Random(6);
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray x = m.create(random(r, 2 * 16), new Shape(2, 16));
      NDArray w = m.create(random(r, 5 * 16), new Shape(5, 16));
      x.setRequiresGradient(true);
      w.setRequiresGradient(true);
      try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
        gc.backward(MatmulBackend.BF16.linear(x, w, null).sum());
      }
      assertThat(x.getGradient().getDataType()).isEqualTo(DataType.FLOAT32);
      assertThat(w.getGradient().getDataType()).isEqualTo(DataType.FLOAT32);
      // d sum(x W^T) / dx[i, k] = sum_o W[o, k]; d / dW[o, k] = sum_i x[i, k] (in bfloat16 precision)
      float[] gx = x.getGradient().toFloatArray();
      float[] gw = w.getGradient().toFloatArray();
      float[] wv = w.toFloatArray();
      float[] xv = x.toFloatArray();
      for (int k = 0; k < 16; k++) {
        double colW = 0;
        for (int o = 0; o < 5; o++) {
          colW += wv[o * 16 + k];
        }
        assertThat((double) gx[k]).isCloseTo(colW, within(0.05));
        assertThat((double) gw[k]).isCloseTo(xv[k] + xv[16 + k], within(0.05));
      }
    }
  }

  @Test
  void theArchiveIsAStoredZipOfTheKernelSource() throws Exception {
    byte[] zip = TorchKernels.archive("class ZephyrKernels(Module):\n  pass\n");
    try (var in = new java.util.zip.ZipInputStream(new java.io.ByteArrayInputStream(zip))) {
      java.util.List<String> names = new java.util.ArrayList<>();
      for (var e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
        names.add(e.getName());
        assertThat(e.getMethod()).isEqualTo(java.util.zip.ZipEntry.STORED);
      }
      assertThat(names).containsExactly("kernels/data.pkl", "kernels/code/__torch__.py", "kernels/constants.pkl",
          "kernels/version");
    }
  }
}
