package dev.zephyr.train.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.Predicate;

/**
 * Adafactor as transformers' Trainer builds it for {@code optim: adafactor}: {@code transformers.Adafactor} with
 * {@code scale_parameter=False}, {@code relative_step=False}, {@code warmup_init=False} and the scheduled learning rate,
 * otherwise its defaults: eps (1e-30, 1e-3), clip_threshold 1.0, decay_rate -0.8, beta1 None (no first moment).
 * For step t, with rho = 1 - t^-0.8:
 *
 * <pre>
 *   u   &lt;- g^2 + 1e-30
 *   2-D and larger (factored):   r &lt;- rho r + (1 - rho) mean_last(u)     c &lt;- rho c + (1 - rho) mean_second_last(u)
 *                                u &lt;- g / sqrt((r / mean(r)) outer c)
 *   1-D:                         v &lt;- rho v + (1 - rho) u                 u &lt;- g / sqrt(v)
 *   u   &lt;- lr * u / max(1, rms(u) / 1.0)
 *   p   &lt;- p - weight_decay * lr * p - u
 * </pre>
 *
 * State is checkpointed under transformers' names: {@code PARAM.exp_avg_sq_row} and {@code PARAM.exp_avg_sq_col} for
 * factored parameters, {@code PARAM.exp_avg_sq} for vectors. Because the update is scaled by its own RMS over the whole
 * parameter, a parameter is updated whole (in its own scope): a step's temporaries are about two arrays of the largest
 * parameter's size, while the factored state itself is only a row and a column per matrix.
 */
public final class Adafactor implements Optimizer {
  /** Added to the squared gradient ({@code eps[0]}). */
  public static final double EPS1 = 1e-30;
  /** Limit on the RMS of an update before the learning rate. */
  public static final double CLIP_THRESHOLD = 1.0;
  /** Exponent of the second-moment decay schedule. */
  public static final double DECAY_RATE = -0.8;

  private final double weightDecay;
  private final Predicate<String> noDecay;
  private final Map<String, NDArray> row = new LinkedHashMap<>();
  private final Map<String, NDArray> col = new LinkedHashMap<>();
  private final Map<String, NDArray> full = new LinkedHashMap<>();
  private long stepCount;

  /** @param weightDecay decoupled weight decay (times the learning rate) of the parameters {@code noDecay} does not name */
  public Adafactor(Map<String, NDArray> params, NDManager stateManager, double weightDecay,
      Predicate<String> noDecay) {
    if (!(weightDecay >= 0)) {
      throw new IllegalArgumentException("weight_decay must be >= 0, got " + weightDecay);
    }
    this.weightDecay = weightDecay;
    this.noDecay = Objects.requireNonNull(noDecay);
    params.forEach((k, p) -> {
      Shape s = p.getShape();
      int d = s.dimension();
      if (d >= 2) {
        row.put(k, stateManager.zeros(s.slice(0, d - 1), p.getDataType()));
        col.put(k, stateManager.zeros(s.slice(0, d - 2).addAll(s.slice(d - 1)), p.getDataType()));
      } else {
        full.put(k, stateManager.zeros(s, p.getDataType()));
      }
    });
  }

  @Override
  public OptimizerName name() {
    return OptimizerName.ADAFACTOR;
  }

  @Override
  public long stepCount() {
    return stepCount;
  }

  @Override
  public Map<String, NDArray> state() {
    Map<String, NDArray> out = new LinkedHashMap<>();
    row.forEach((k, v) -> out.put(k + ".exp_avg_sq_row", v));
    col.forEach((k, v) -> out.put(k + ".exp_avg_sq_col", v));
    full.forEach((k, v) -> out.put(k + ".exp_avg_sq", v));
    return out;
  }

  @Override
  public void restoreStepCount(long steps) {
    this.stepCount = steps;
  }

  @Override
  public void step(Map<String, NDArray> params, double lr) {
    stepCount++;
    double rho = 1.0 - Math.pow(stepCount, DECAY_RATE);
    for (Map.Entry<String, NDArray> e : params.entrySet()) {
      NDArray p = e.getValue();
      if (!p.hasGradient()) {
        continue;
      }
      String name = e.getKey();
      double wd = noDecay.test(name) ? 0.0 : weightDecay;
      try (NDScope scope = new NDScope()) {
        scope.suppressNotUsedWarning();
        NDArray g = p.getGradient();
        NDArray update = g.square().addi(EPS1);
        if (row.containsKey(name)) {
          int d = p.getShape().dimension();
          NDArray r = row.get(name);
          NDArray c = col.get(name);
          r.muli(rho).addi(update.mean(new int[] {d - 1}).muli(1.0 - rho));
          c.muli(rho).addi(update.mean(new int[] {d - 2}).muli(1.0 - rho));
          update.close(); // the squared gradient is not needed past the means
          NDArray rFactor = r.div(r.mean(new int[] {d - 2}, true)).pow(-0.5).expandDims(d - 1);
          NDArray cFactor = c.expandDims(d - 2).pow(-0.5);
          update = rFactor.mul(cFactor).muli(g);
        } else {
          NDArray v = full.get(name);
          v.muli(rho).addi(update.muli(1.0 - rho));
          update = v.pow(-0.5).muli(g);
        }
        double rms = update.norm().getFloat() / Math.sqrt(update.size());
        update.divi(Math.max(rms / CLIP_THRESHOLD, 1.0)).muli(lr);
        if (wd != 0) {
          p.addi(p.mul(-wd * lr));
        }
        p.subi(update);
      }
    }
  }
}
