package dev.zephyr.train.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
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
 * Trainer excludes biases and norm weights). The moment arrays are owned by the manager given to the constructor and
 * live as long as it does; {@link #step} allocates only temporaries, which the caller's per-step scope releases.
 */
public final class AdamW {
  private final double beta1;
  private final double beta2;
  private final double eps;
  private final double weightDecay;
  private final Predicate<String> noDecay;
  private final Map<String, NDArray> expAvg = new LinkedHashMap<>();
  private final Map<String, NDArray> expAvgSq = new LinkedHashMap<>();
  private long stepCount;

  private AdamW(Builder b, Map<String, NDArray> params, NDManager stateManager) {
    this.beta1 = b.beta1;
    this.beta2 = b.beta2;
    this.eps = b.eps;
    this.weightDecay = b.weightDecay;
    this.noDecay = b.noDecay;
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

  /** Number of optimizer steps taken so far (torch's {@code state['step']}). */
  public long stepCount() {
    return stepCount;
  }

  /** The weight decay this optimizer applies to {@code name}. */
  public double weightDecayFor(String name) {
    return noDecay.test(name) ? 0.0 : weightDecay;
  }

  /** First-moment estimates by parameter name (torch's {@code exp_avg}); live arrays, for checkpoints. */
  public Map<String, NDArray> expAvg() {
    return expAvg;
  }

  /** Second-moment estimates by parameter name (torch's {@code exp_avg_sq}); live arrays, for checkpoints. */
  public Map<String, NDArray> expAvgSq() {
    return expAvgSq;
  }

  /** Restores the state saved from {@link #expAvg()}, {@link #expAvgSq()} and {@link #stepCount()}. */
  public void restore(Map<String, float[]> avg, Map<String, float[]> avgSq, long steps) {
    for (String name : expAvg.keySet()) {
      expAvg.get(name).set(Objects.requireNonNull(avg.get(name), "exp_avg missing for " + name));
      expAvgSq.get(name).set(Objects.requireNonNull(avgSq.get(name), "exp_avg_sq missing for " + name));
    }
    this.stepCount = steps;
  }

  /**
   * One update of every parameter that has a gradient, in place, with learning rate {@code lr}. Call inside the step's
   * scope: the temporaries it creates are closed with it.
   */
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
      NDArray g = p.getGradient();
      double wd = weightDecayFor(e.getKey());
      if (wd != 0) {
        p.muli(1 - lr * wd);
      }
      NDArray m = expAvg.get(e.getKey());
      NDArray v = expAvgSq.get(e.getKey());
      m.muli(beta1).addi(g.mul(1 - beta1));
      v.muli(beta2).addi(g.square().muli(1 - beta2));
      NDArray denom = v.sqrt().divi(biasCorrection2Sqrt).addi(eps);
      p.subi(m.div(denom).muli(stepSize));
    }
  }

  /** Options of {@link AdamW}. */
  public static final class Builder {
    private double beta1 = 0.9;
    private double beta2 = 0.999;
    private double eps = 1e-8;
    private double weightDecay = 0.01;
    private Predicate<String> noDecay = name -> false;

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
      return noDecay(name -> name.endsWith(".bias") || name.endsWith("bias") || name.contains("norm"));
    }

    /** Creates moment arrays (zeros) for every parameter in {@code stateManager}. */
    public AdamW build(Map<String, NDArray> params, NDManager stateManager) {
      return new AdamW(this, params, stateManager);
    }
  }
}
