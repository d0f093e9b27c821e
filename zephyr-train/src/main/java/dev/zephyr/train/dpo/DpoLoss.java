package dev.zephyr.train.dpo;

import ai.djl.ndarray.NDArray;
import dev.zephyr.train.loop.Scalars;
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
    float[] chosenTokens = b.chosenTokens().toFloatArray();
    double total = 0;
    for (float n : chosenTokens) {
      total += n;
    }
    return computeShare(b, chosenTokens.length, total);
  }

  /**
   * The share of one part of a larger batch in that batch's loss and metrics: per-pair terms and metrics are summed
   * over the part and divided by {@code batchPairs}, the {@code sft} term by {@code batchChosenTokens}. The shares of
   * a batch's parts add up to {@link #compute} of the whole batch.
   *
   * @param batchPairs pairs in the whole batch
   * @param batchChosenTokens chosen completion tokens in the whole batch
   */
  public Output computeShare(Batch part, int batchPairs, double batchChosenTokens) {
    NDArray c = part.policyChosen().sub(part.refChosen());
    NDArray r = part.policyRejected().sub(part.refRejected());
    NDArray d = c.sub(r);
    NDArray total = null;
    for (int i = 0; i < lossTypes.size(); i++) {
      DpoLossType type = lossTypes.get(i);
      NDArray term = type == DpoLossType.SFT
          ? Scalars.div(part.policyChosen().sum().neg(), batchChosenTokens)
          : Scalars.div(perPair(type, part, c, r, d).sum(), batchPairs);
      term = Scalars.mul(term, lossWeights.get(i));
      total = total == null ? term : total.add(term);
    }
    return new Output(total, metrics(part, c, r, batchPairs));
  }

  /** The per-pair loss {@code [B]} of a type other than {@code sft} (which is normalised by tokens, not pairs). */
  private NDArray perPair(DpoLossType type, Batch b, NDArray c, NDArray r, NDArray d) {
    float half = (float) (1.0 / (2 * beta));
    double eps = labelSmoothing;
    return switch (type) {
      case SIGMOID -> logSigmoid(Scalars.mul(d, beta)).neg();
      case HINGE -> Scalars.maximum(Scalars.mul(d, -beta).add(1), 0);
      case IPO -> c.div(b.chosenTokens()).sub(r.div(b.rejectedTokens())).sub(half).square();
      case ROBUST -> Scalars.div(Scalars.mul(logSigmoid(Scalars.mul(d, beta)), -(1 - eps))
          .add(Scalars.mul(logSigmoid(Scalars.mul(d, -beta)), eps)), 1 - 2 * eps);
      case SFT -> throw new IllegalArgumentException("sft is normalised by chosen tokens, not per pair");
      case APO_ZERO -> sigmoid(Scalars.mul(c, beta)).neg().add(1).add(sigmoid(Scalars.mul(r, beta)));
      case APO_DOWN -> sigmoid(Scalars.mul(c, beta)).add(sigmoid(Scalars.mul(d, beta)).neg().add(1));
      case SIGMOID_NORM -> logSigmoid(Scalars.mul(c.div(b.chosenTokens()).sub(r.div(b.rejectedTokens())), beta))
          .neg();
      case NCA_PAIR -> logSigmoid(Scalars.mul(c, beta)).neg()
          .sub(Scalars.mul(logSigmoid(Scalars.mul(c, -beta)), 0.5))
          .sub(Scalars.mul(logSigmoid(Scalars.mul(r, -beta)), 0.5));
      case BCO_PAIR -> logSigmoid(Scalars.mul(c, beta)).neg().sub(logSigmoid(Scalars.mul(r, -beta)));
      case SPPO_HARD -> c.sub(half).square().add(r.add(half).square());
    };
  }

  /** log sigmoid(x) = min(x, 0) - log(1 + exp(-|x|)), stable for large |x|. */
  static NDArray logSigmoid(NDArray x) {
    return Scalars.minimum(x, 0).sub(x.abs().neg().exp().add(1).log());
  }

  static NDArray sigmoid(NDArray x) {
    return logSigmoid(x).exp();
  }

  /** TRL's metrics: sums over the pairs of {@code b} divided by {@code batchPairs}. */
  private Map<String, Double> metrics(Batch b, NDArray c, NDArray r, int batchPairs) {
    float[] cv = c.toFloatArray();
    float[] rv = r.toFloatArray();
    float[] pc = b.policyChosen().toFloatArray();
    float[] pr = b.policyRejected().toFloatArray();
    int n = batchPairs;
    double rc = 0;
    double rr = 0;
    double acc = 0;
    double lc = 0;
    double lr = 0;
    for (int i = 0; i < cv.length; i++) {
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
