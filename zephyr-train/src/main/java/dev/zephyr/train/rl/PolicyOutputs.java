package dev.zephyr.train.rl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.zephyr.core.model.LlamaModel;
import dev.zephyr.train.loop.DecoderGraph;
import dev.zephyr.train.loop.Scalars;
import dev.zephyr.train.reward.RewardModel;

/**
 * What the on-policy trainers read from a forward over a {@link ResponseBatch}: per-token log-probs of the response
 * under a causal LM (logits divided by {@code temperature + 1e-7}, as TRL scores its samples), their entropies, and
 * per-position values from a value model. Shapes are {@code [B, width]}; the arrays live in the caller's scope and are
 * differentiable when grad mode is on.
 *
 * @param logprobs log-probability of each response token
 * @param entropy entropy of each position's tempered next-token distribution
 */
public record PolicyOutputs(NDArray logprobs, NDArray entropy) {

  /** Log-probs and entropies of {@code batch}'s responses under {@code model} from its final hidden states. */
  public static PolicyOutputs of(LlamaModel model, DecoderGraph graph, ResponseBatch batch, double temperature) {
    NDManager m = graph.hidden().getManager();
    NDArray selected = select(graph.hidden(), batch, m);
    NDArray logits = Scalars.div(model.head(selected), temperature + 1e-7);
    NDArray logSoftmax = logits.logSoftmax(-1);
    NDArray picked = logSoftmax.gather(batch.targets(m), 1).reshape(batch.size(), batch.width());
    NDArray entropy = logSoftmax.exp().mul(logSoftmax).sum(new int[] {-1}).neg().reshape(batch.size(), batch.width());
    return new PolicyOutputs(picked, entropy);
  }

  /** A value per response position from the value model's final hidden states: its head applied at each position. */
  public static NDArray values(RewardModel valueModel, DecoderGraph graph, ResponseBatch batch) {
    NDManager m = graph.hidden().getManager();
    NDArray selected = select(graph.hidden(), batch, m);
    long n = selected.getShape().get(0);
    int[] ones = new int[Math.toIntExact(n)];
    java.util.Arrays.fill(ones, 1);
    // each selected state as a one-token row: the reward head read at its only token
    return valueModel.rewardsOf(selected.reshape(n, 1, selected.getShape().get(1)), ones)
        .reshape(batch.size(), batch.width());
  }

  private static NDArray select(NDArray hidden, ResponseBatch batch, NDManager m) {
    Shape s = hidden.getShape();
    return hidden.reshape(s.get(0) * s.get(1), s.get(2)).get(batch.hiddenIndex(m));
  }
}
