package dev.zephyr.train.dpo;

import ai.djl.ndarray.NDArray;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * TRL's DPO loss (v1.9 semantics): a weighted sum of one or more {@link DpoLossType}s, each averaged over the batch,
 * plus TRL's metrics. Inputs are summed completion log-probabilities per sequence.
 *
 * @param beta temperature (TRL default 0.1)
 * @param labelSmoothing eps of the {@code robust} loss
 * @param lossTypes losses to combine (TRL {@code loss_type})
 * @param lossWeights one weight per loss type (TRL {@code loss_weights}; all 1 when omitted)
 */
public record DpoLoss(double beta, double labelSmoothing, List<DpoLossType> lossTypes, List<Double> lossWeights) {

  public DpoLoss {
    Objects.requireNonNull(lossTypes);
    if (lossTypes.isEmpty()) {
      throw new IllegalArgumentException("loss_type must name at least one loss");
    }
    if (lossWeights == null || lossWeights.isEmpty()) {
      List<Double> ones = new ArrayList<>();
      lossTypes.forEach(t -> ones.add(1.0));
      lossWeights = ones;
    }
    if (lossWeights.size() != lossTypes.size()) {
      throw new IllegalArgumentException("loss_weights has " + lossWeights.size() + " entries for "
          + lossTypes.size() + " loss types");
    }
    if (!(beta > 0)) {
      throw new IllegalArgumentException("beta must be > 0, got " + beta);
    }
    if (!(labelSmoothing >= 0 && labelSmoothing < 0.5)) {
      throw new IllegalArgumentException("label_smoothing must be in [0, 0.5), got " + labelSmoothing);
    }
    lossTypes = List.copyOf(lossTypes);
    lossWeights = List.copyOf(lossWeights);
  }

  /** TRL's default: sigmoid with beta 0.1. */
  public static DpoLoss sigmoid(double beta) {
    return new DpoLoss(beta, 0.0, List.of(DpoLossType.SIGMOID), null);
  }

  /**
   * Summed completion log-probs of a batch of pairs, all of shape [B].
   *
   * @param policyChosen log pi_theta(y+ | x)
   * @param policyRejected log pi_theta(y- | x)
   * @param refChosen log pi_ref(y+ | x) (no gradient)
   * @param refRejected log pi_ref(y- | x) (no gradient)
   * @param chosenTokens n+ (float32)
   * @param rejectedTokens n- (float32)
   */
  public record Batch(NDArray policyChosen, NDArray policyRejected, NDArray refChosen, NDArray refRejected,
      NDArray chosenTokens, NDArray rejectedTokens) {}

  /** The batch loss (scalar, differentiable) and TRL's metrics of the batch. */
  public record Output(NDArray loss, Map<String, Double> metrics) {}

  /** Computes the combined loss: sum over types of weight x batch mean of that type's loss. */
  public Output compute(Batch b) {
    NDArray c = b.policyChosen().sub(b.refChosen());
    NDArray r = b.policyRejected().sub(b.refRejected());
    NDArray d = c.sub(r);
    NDArray total = null;
    for (int i = 0; i < lossTypes.size(); i++) {
      NDArray term = perType(lossTypes.get(i), b, c, r, d).mul(lossWeights.get(i).floatValue());
      total = total == null ? term : total.add(term);
    }
    return new Output(total, metrics(b, c, r));
  }

  /** The batch-mean loss of one type (scalar). */
  NDArray perType(DpoLossType type, Batch b, NDArray c, NDArray r, NDArray d) {
    float half = (float) (1.0 / (2 * beta));
    float beta = (float) this.beta;
    float eps = (float) labelSmoothing;
    return switch (type) {
      case SIGMOID -> logSigmoid(d.mul(beta)).neg().mean();
      case HINGE -> d.mul(-beta).add(1).maximum(0).mean();
      case IPO -> c.div(b.chosenTokens()).sub(r.div(b.rejectedTokens())).sub(half).square().mean();
      case ROBUST -> logSigmoid(d.mul(beta)).mul(-(1 - eps))
          .add(logSigmoid(d.mul(-beta)).mul(eps)).div(1 - 2 * eps).mean();
      case SFT -> b.policyChosen().sum().neg().div(b.chosenTokens().sum());
      case APO_ZERO -> sigmoid(c.mul(beta)).neg().add(1).add(sigmoid(r.mul(beta))).mean();
      case APO_DOWN -> sigmoid(c.mul(beta)).add(sigmoid(d.mul(beta)).neg().add(1)).mean();
      case SIGMOID_NORM -> logSigmoid(c.div(b.chosenTokens()).sub(r.div(b.rejectedTokens())).mul(beta))
          .neg().mean();
      case NCA_PAIR -> logSigmoid(c.mul(beta)).neg()
          .sub(logSigmoid(c.mul(-beta)).mul(0.5f)).sub(logSigmoid(r.mul(-beta)).mul(0.5f)).mean();
      case BCO_PAIR -> logSigmoid(c.mul(beta)).neg().sub(logSigmoid(r.mul(-beta))).mean();
      case SPPO_HARD -> c.sub(half).square().add(r.add(half).square()).mean();
    };
  }

  /** log sigmoid(x) = min(x, 0) - log(1 + exp(-|x|)), stable for large |x|. */
  static NDArray logSigmoid(NDArray x) {
    return x.minimum(0).sub(x.abs().neg().exp().add(1).log());
  }

  static NDArray sigmoid(NDArray x) {
    return logSigmoid(x).exp();
  }

  private Map<String, Double> metrics(Batch b, NDArray c, NDArray r) {
    float[] cv = c.toFloatArray();
    float[] rv = r.toFloatArray();
    float[] pc = b.policyChosen().toFloatArray();
    float[] pr = b.policyRejected().toFloatArray();
    int n = cv.length;
    double rc = 0;
    double rr = 0;
    double acc = 0;
    double lc = 0;
    double lr = 0;
    for (int i = 0; i < n; i++) {
      rc += beta * cv[i];
      rr += beta * rv[i];
      acc += beta * cv[i] > beta * rv[i] ? 1 : 0;
      lc += pc[i];
      lr += pr[i];
    }
    Map<String, Double> m = new LinkedHashMap<>();
    m.put("rewards/chosen", rc / n);
    m.put("rewards/rejected", rr / n);
    m.put("rewards/accuracies", acc / n);
    m.put("rewards/margins", (rc - rr) / n);
    m.put("logps/chosen", lc / n);
    m.put("logps/rejected", lr / n);
    return m;
  }
}
