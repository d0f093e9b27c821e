package dev.zephyr.train.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.Predicate;

/**
 * RMSprop with the semantics of {@code torch.optim.RMSprop} as transformers' Trainer builds it for
 * {@code optim: rmsprop}: only the learning rate and the per-group weight decay are passed, so alpha 0.99, eps 1e-8,
 * no momentum, not centred. Weight decay here is torch's L2 term added to the gradient, not a decoupled decay:
 *
 * <pre>
 *   g   &lt;- g + weight_decay * p
 *   v   &lt;- alpha * v + (1 - alpha) * g^2
 *   p   &lt;- p - lr * g / (sqrt(v) + eps)
 * </pre>
 *
 * The squared averages are checkpointed as {@code PARAM.square_avg}. Like {@link AdamW}, a step updates one parameter
 * (or row slice of a large one) at a time, each in its own scope.
 */
public final class RmsProp implements Optimizer {
  /** torch's default smoothing constant, which transformers keeps. */
  public static final double ALPHA = 0.99;
  /** torch's default epsilon, which transformers keeps ({@code adam_epsilon} does not apply). */
  public static final double EPS = 1e-8;

  private final double weightDecay;
  private final Predicate<String> noDecay;
  private final long sliceElements;
  private final Map<String, NDArray> squareAvg = new LinkedHashMap<>();
  private long stepCount;

  /**
   * @param weightDecay L2 weight decay of the parameters {@code noDecay} does not name
   * @param sliceElements largest piece, in elements, a parameter is updated in
   */
  public RmsProp(Map<String, NDArray> params, NDManager stateManager, double weightDecay, Predicate<String> noDecay,
      long sliceElements) {
    if (!(weightDecay >= 0)) {
      throw new IllegalArgumentException("weight_decay must be >= 0, got " + weightDecay);
    }
    this.weightDecay = weightDecay;
    this.noDecay = Objects.requireNonNull(noDecay);
    this.sliceElements = sliceElements;
    params.forEach((k, p) -> squareAvg.put(k, stateManager.zeros(p.getShape(), p.getDataType())));
  }

  @Override
  public OptimizerName name() {
    return OptimizerName.RMSPROP;
  }

  @Override
  public long stepCount() {
    return stepCount;
  }

  @Override
  public Map<String, NDArray> state() {
    Map<String, NDArray> out = new LinkedHashMap<>();
    squareAvg.forEach((k, v) -> out.put(k + ".square_avg", v));
    return out;
  }

  @Override
  public void restoreStepCount(long steps) {
    this.stepCount = steps;
  }

  // temporaries closed as soon as used: at most three slice-sized arrays alive at a time (two without decay)
  private static void update(NDArray p, NDArray grad, NDArray v, double wd, double lr) {
    NDArray g = grad;
    if (wd != 0) {
      try (NDArray decay = p.mul(wd)) {
        g = grad.add(decay);
      }
    }
    try (NDArray squared = g.square()) {
      v.muli(ALPHA).addi(squared.muli(1 - ALPHA));
    }
    try (NDArray avg = v.sqrt(); NDArray ratio = g.div(avg.addi(EPS))) {
      p.subi(ratio.muli(lr));
    }
    if (g != grad) {
      g.close();
    }
  }

  @Override
  public void step(Map<String, NDArray> params, double lr) {
    stepCount++;
    for (Map.Entry<String, NDArray> e : params.entrySet()) {
      NDArray p = e.getValue();
      if (!p.hasGradient()) {
        continue;
      }
      double wd = noDecay.test(e.getKey()) ? 0.0 : weightDecay;
      try (NDScope scope = new NDScope()) {
        scope.suppressNotUsedWarning();
        NDArray[] arrays = {p, p.getGradient(), squareAvg.get(e.getKey())};
        Slices.forEach(sliceElements, arrays, s -> update(s[0], s[1], s[2], wd, lr));
      }
    }
  }
}
