package dev.zephyr.train.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.Predicate;

/**
 * AdamW with the semantics of {@code torch.optim.AdamW} (amsgrad off, maximize off):
 *
 * <pre>
 *   p     &lt;- p * (1 - lr * weight_decay)                    decoupled decay, with the scheduled lr
 *   m     &lt;- beta1 * m + (1 - beta1) * g
 *   v     &lt;- beta2 * v + (1 - beta2) * g^2
 *   denom &lt;- sqrt(v) / sqrt(1 - beta2^t) + eps              eps added after the bias correction, as torch does
 *   p     &lt;- p - (lr / (1 - beta1^t)) * m / denom
 * </pre>
 *
 * Weight decay is chosen per parameter: {@link Builder#noDecay} names the parameters that get none (Hugging Face's
 * Trainer excludes biases and norm weights). The moments are owned by the manager given to {@link Builder#build} and
 * checkpointed as {@code PARAM.exp_avg} and {@code PARAM.exp_avg_sq}.
 *
 * <p>Memory: {@link #step} updates one parameter at a time, and a large one in row slices of at most
 * {@link Builder#sliceElements} elements, each in its own scope, so its temporaries (two slice-sized arrays at most)
 * are gone before the next slice starts. Every element goes through the same operations whatever the slicing.
 */
public final class AdamW implements Optimizer {
  private final OptimizerName name;
  private final double beta1;
  private final double beta2;
  private final double eps;
  private final double weightDecay;
  private final Predicate<String> noDecay;
  private final long sliceElements;
  private final Map<String, NDArray> expAvg = new LinkedHashMap<>();
  private final Map<String, NDArray> expAvgSq = new LinkedHashMap<>();
  private long stepCount;

  private AdamW(Builder b, Map<String, NDArray> params, NDManager stateManager) {
    this.name = b.name;
    this.beta1 = b.beta1;
    this.beta2 = b.beta2;
    this.eps = b.eps;
    this.weightDecay = b.weightDecay;
    this.noDecay = b.noDecay;
    this.sliceElements = b.sliceElements;
    for (Map.Entry<String, NDArray> e : params.entrySet()) {
      NDArray p = e.getValue();
      expAvg.put(e.getKey(), stateManager.zeros(p.getShape(), p.getDataType()));
      expAvgSq.put(e.getKey(), stateManager.zeros(p.getShape(), p.getDataType()));
    }
  }

  /** A builder with torch's defaults: betas (0.9, 0.999), eps 1e-8, weight decay 0.01. */
  public static Builder builder() {
    return new Builder();
  }

  @Override
  public OptimizerName name() {
    return name;
  }

  @Override
  public long stepCount() {
    return stepCount;
  }

  /** The weight decay this optimizer applies to {@code name}. */
  public double weightDecayFor(String name) {
    return noDecay.test(name) ? 0.0 : weightDecay;
  }

  /** First-moment estimates by parameter name (torch's {@code exp_avg}); live arrays. */
  public Map<String, NDArray> expAvg() {
    return Collections.unmodifiableMap(expAvg);
  }

  /** Second-moment estimates by parameter name (torch's {@code exp_avg_sq}); live arrays. */
  public Map<String, NDArray> expAvgSq() {
    return Collections.unmodifiableMap(expAvgSq);
  }

  @Override
  public Map<String, NDArray> state() {
    Map<String, NDArray> out = new LinkedHashMap<>();
    expAvg.forEach((k, v) -> out.put(k + ".exp_avg", v));
    expAvgSq.forEach((k, v) -> out.put(k + ".exp_avg_sq", v));
    return out;
  }

  @Override
  public void restoreStepCount(long steps) {
    this.stepCount = steps;
  }

  @Override
  public void step(Map<String, NDArray> params, double lr) {
    stepCount++;
    double biasCorrection1 = 1 - Math.pow(beta1, stepCount);
    double biasCorrection2Sqrt = Math.sqrt(1 - Math.pow(beta2, stepCount));
    double stepSize = lr / biasCorrection1;
    for (Map.Entry<String, NDArray> e : params.entrySet()) {
      NDArray p = e.getValue();
      if (!p.hasGradient()) {
        continue;
      }
      double wd = weightDecayFor(e.getKey());
      try (NDScope scope = new NDScope()) {
        scope.suppressNotUsedWarning();
        NDArray g = p.getGradient();
        if (wd != 0) {
          p.muli(1 - lr * wd);
        }
        NDArray[] arrays = {p, g, expAvg.get(e.getKey()), expAvgSq.get(e.getKey())};
        Slices.forEach(sliceElements, arrays, s -> update(s[0], s[1], s[2], s[3], biasCorrection2Sqrt, stepSize));
      }
    }
  }

  // each temporary is closed as soon as it is used, so at most two slice-sized arrays are alive at a time
  private void update(NDArray p, NDArray g, NDArray m, NDArray v, double biasCorrection2Sqrt, double stepSize) {
    try (NDArray scaled = g.mul(1 - beta1)) {
      m.muli(beta1).addi(scaled);
    }
    try (NDArray squared = g.square()) {
      v.muli(beta2).addi(squared.muli(1 - beta2));
    }
    try (NDArray denom = v.sqrt(); NDArray ratio = m.div(denom.divi(biasCorrection2Sqrt).addi(eps))) {
      p.subi(ratio.muli(stepSize));
    }
  }

  /** Options of {@link AdamW}. */
  public static final class Builder {
    private OptimizerName name = OptimizerName.ADAMW_TORCH;
    private double beta1 = 0.9;
    private double beta2 = 0.999;
    private double eps = 1e-8;
    private double weightDecay = 0.01;
    private Predicate<String> noDecay = name -> false;
    private long sliceElements = Slices.DEFAULT_ELEMENTS;

    /** The {@code optim} name recorded for this optimizer (one whose algorithm is AdamW). */
    public Builder name(OptimizerName name) {
      if (name.algorithm() != OptimizerName.Algorithm.ADAMW) {
        throw new IllegalArgumentException(name.hfName() + " is not an AdamW optimizer");
      }
      this.name = name;
      return this;
    }

    public Builder betas(double beta1, double beta2) {
      if (!(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1)) {
        throw new IllegalArgumentException("betas must be in [0, 1), got " + beta1 + ", " + beta2);
      }
      this.beta1 = beta1;
      this.beta2 = beta2;
      return this;
    }

    public Builder eps(double eps) {
      if (!(eps >= 0)) {
        throw new IllegalArgumentException("eps must be >= 0, got " + eps);
      }
      this.eps = eps;
      return this;
    }

    public Builder weightDecay(double weightDecay) {
      if (!(weightDecay >= 0)) {
        throw new IllegalArgumentException("weight_decay must be >= 0, got " + weightDecay);
      }
      this.weightDecay = weightDecay;
      return this;
    }

    /** Parameters for which weight decay is zero (a second parameter group). */
    public Builder noDecay(Predicate<String> noDecay) {
      this.noDecay = Objects.requireNonNull(noDecay);
      return this;
    }

    /** Hugging Face Trainer's grouping: no decay for biases and normalisation weights. */
    public Builder noDecayForBiasAndNorm() {
      return noDecay(Optimizers.BIAS_OR_NORM);
    }

    /** Largest piece, in elements, a parameter is updated in (default 4 Mi); only memory depends on it. */
    public Builder sliceElements(long sliceElements) {
      if (sliceElements < 1) {
        throw new IllegalArgumentException("sliceElements must be >= 1, got " + sliceElements);
      }
      this.sliceElements = sliceElements;
      return this;
    }

    /** Creates moment arrays (zeros) for every parameter in {@code stateManager}. */
    public AdamW build(Map<String, NDArray> params, NDManager stateManager) {
      return new AdamW(this, params, stateManager);
    }
  }
}
