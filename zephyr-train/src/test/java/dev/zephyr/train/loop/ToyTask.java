package dev.zephyr.train.loop;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/**
 * A token-level toy "language model": each example is a sequence of feature vectors with a class label per position
 * (-1 = masked); a two-layer MLP predicts the labels; the loss is summed cross-entropy over unmasked positions.
 */
final class ToyTask implements TrainingTask<ToyTask.Example, ToyTask.Batch> {
  record Example(float[][] x, int[] labels) {}

  record Batch(float[] x, int rows, int[] labels) {}

  final int d;
  final int v;
  long poisonStep = -1;

  ToyTask(int d, int v) {
    this.d = d;
    this.v = v;
  }

  static Map<String, NDArray> init(NDManager m, int d, int h, int v, long seed) {
    Random r = new Random(seed);
    Map<String, NDArray> p = new TreeMap<>();
    p.put("fc1.weight", m.create(gauss(r, h * d, 0.2f), new Shape(h, d)));
    p.put("fc1.bias", m.create(gauss(r, h, 0.1f), new Shape(h)));
    p.put("fc2.weight", m.create(gauss(r, v * h, 0.2f), new Shape(v, h)));
    return p;
  }

  static List<Example> data(int n, int d, int v, long seed) {
    Random r = new Random(seed);
    List<Example> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      int len = 1 + r.nextInt(8);
      float[][] x = new float[len][];
      int[] labels = new int[len];
      for (int t = 0; t < len; t++) {
        x[t] = gauss(r, d, 1f);
        // a learnable rule: the label is the argmax of the first v features; a third of positions masked
        int best = 0;
        for (int k = 1; k < v; k++) {
          if (x[t][k] > x[t][best]) {
            best = k;
          }
        }
        labels[t] = (t > 0 && r.nextInt(3) == 0) ? -1 : best;
      }
      out.add(new Example(x, labels));
    }
    return out;
  }

  static float[] gauss(Random r, int n, float std) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = (float) (r.nextGaussian() * std);
    }
    return a;
  }

  @Override
  public Batch collate(List<Example> examples) {
    int rows = examples.stream().mapToInt(e -> e.labels().length).sum();
    float[] x = new float[rows * d];
    int[] labels = new int[rows];
    int row = 0;
    for (Example e : examples) {
      for (int t = 0; t < e.labels().length; t++) {
        System.arraycopy(e.x()[t], 0, x, row * d, d);
        labels[row++] = e.labels()[t];
      }
    }
    return new Batch(x, rows, labels);
  }

  @Override
  public long lossUnits(Batch b) {
    return java.util.Arrays.stream(b.labels()).filter(l -> l >= 0).count();
  }

  @Override
  public long tokens(Batch b) {
    return b.rows();
  }

  @Override
  public LossOutput loss(Map<String, NDArray> p, Batch b, StepContext ctx) {
    NDManager m = p.get("fc1.weight").getManager();
    NDArray x = m.create(b.x(), new Shape(b.rows(), d));
    NDArray h = x.matMul(p.get("fc1.weight").transpose()).add(p.get("fc1.bias"));
    h = h.mul(h.gt(0));
    NDArray logp = h.matMul(p.get("fc2.weight").transpose()).logSoftmax(1);
    float[] target = new float[b.rows() * v];
    for (int i = 0; i < b.rows(); i++) {
      if (b.labels()[i] >= 0) {
        target[i * v + b.labels()[i]] = 1f;
      }
    }
    NDArray lossSum = logp.mul(m.create(target, new Shape(b.rows(), v))).sum().neg();
    if (ctx.globalStep() == poisonStep) {
      lossSum = lossSum.mul(Float.NaN);
    }
    return new LossOutput(lossSum, Map.of("mean_token_accuracy", 0.0));
  }
}
