package dev.zephyr.train.sft;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.zephyr.core.model.LlamaModel;
import dev.zephyr.train.loop.CausalLm;
import dev.zephyr.train.loop.DecoderGraph;
import dev.zephyr.train.loop.FusedHead;
import dev.zephyr.train.loop.PaddedRows;
import dev.zephyr.train.loop.Scalars;
import dev.zephyr.train.loop.StepContext;
import dev.zephyr.train.loop.TrainingTask;
import java.util.List;
import java.util.Map;

/**
 * Causal-LM SFT on a {@link LlamaModel}: summed negative log-likelihood of the masked-in next tokens. The loss unit is
 * the label token, so the trainer's normalisation divides by the number of label tokens in the whole optimizer step.
 */
public final class SftTask implements TrainingTask<SftSequence, SftTask.Batch> {
  private final LlamaModel model;
  private final int chunk;

  /**
   * Right-padded rows, packed documents keeping their own position and document ids.
   *
   * @param rows the decoder input
   * @param targetMask [B*(T-1)] 1 where token t+1 is a label predicted from t
   * @param lossTokens label tokens (the loss units)
   */
  public record Batch(PaddedRows rows, float[] targetMask, long lossTokens) {}

  public SftTask(LlamaModel model) {
    this(model, FusedHead.DEFAULT_CHUNK);
  }

  /**
   * @param chunk vocabulary projection chunk: tokens (over all rows) in training ({@link #lossAndBackward}); positions
   *     per row in the single-pass {@link #loss} and {@link #tokenLogProbs}
   */
  public SftTask(LlamaModel model, int chunk) {
    this.model = model;
    this.chunk = chunk;
  }

  @Override
  public Batch collate(List<SftSequence> rows) {
    int b = rows.size();
    int t = rows.stream().mapToInt(SftSequence::length).max().orElse(0);
    long[] ids = new long[b * t];
    long[] pos = new long[b * t];
    int[][] doc = new int[b][t];
    float[] target = new float[b * (t - 1)];
    long lossTokens = 0;
    long tokens = 0;
    for (int r = 0; r < b; r++) {
      SftSequence s = rows.get(r);
      java.util.Arrays.fill(doc[r], -1);
      for (int i = 0; i < s.length(); i++) {
        ids[r * t + i] = s.inputIds()[i];
        pos[r * t + i] = s.positionIds()[i];
        doc[r][i] = s.docIds()[i];
      }
      for (int i = 1; i < s.length(); i++) {
        if (s.lossMask()[i] == 1 && s.docIds()[i] == s.docIds()[i - 1]) {
          target[r * (t - 1) + i - 1] = 1f;
          lossTokens++;
        }
      }
      tokens += s.length();
    }
    return new Batch(new PaddedRows(b, t, ids, pos, doc, tokens), target, lossTokens);
  }

  @Override
  public long lossUnits(Batch batch) {
    return batch.lossTokens();
  }

  @Override
  public long tokens(Batch batch) {
    return batch.rows().tokens();
  }

  /** The single-pass loss: the whole graph, every chunk's vocabulary-sized log-softmax included, lives to backward. */
  @Override
  public LossOutput loss(Map<String, NDArray> params, Batch b, StepContext context) {
    return new LossOutput(nll(tokenLogProbs(b), b), Map.of());
  }

  /**
   * The training path: the same loss and gradients as {@link #loss}, with the LM head run through {@link FusedHead}
   * so only one chunk of {@code chunk} tokens has vocabulary-sized tensors at a time (NEFTune noise on the
   * embeddings when the context asks for it). Metrics: TRL's {@code mean_token_accuracy} and {@code entropy}
   * ({@link #tokenMetrics}).
   */
  @Override
  public ScaledLoss lossAndBackward(Map<String, NDArray> params, Batch b, StepContext context, long stepUnits,
      GradientCollector gc) {
    DecoderGraph decoder = DecoderGraph.forward(model, b.rows(), context);
    FusedHead head = FusedHead.forward(model, decoder.hidden(), decoder.ids(), chunk, false, true);
    NDArray scaled = Scalars.div(nll(head.tokenLogProbs(), b), stepUnits);
    gc.backward(scaled);
    head.backward(gc);
    decoder.backward(gc);
    return new ScaledLoss(scaled.getFloat(), tokenMetrics(head.argmaxHits(), head.entropy(), b));
  }

  /** The evaluation path: the training path's forward and metrics (the trainer turns autograd off), no backward. */
  @Override
  public LossOutput evalLoss(Map<String, NDArray> params, Batch b, StepContext context) {
    DecoderGraph decoder = DecoderGraph.forward(model, b.rows(), context);
    FusedHead head = FusedHead.forward(model, decoder.hidden(), decoder.ids(), chunk, false, true);
    return new LossOutput(nll(head.tokenLogProbs(), b), tokenMetrics(head.argmaxHits(), head.entropy(), b));
  }

  /**
   * TRL's SFT metrics over the label tokens of a batch: {@code mean_token_accuracy}, the fraction whose argmax
   * prediction is the label, and {@code entropy}, the mean entropy (nats) of the predictive distribution at the
   * positions that predict them. (TRL averages entropy over every attended position; here it covers the positions
   * the loss covers, the ones training shapes.)
   *
   * @param hits 1 where the argmax at position t is token t+1, {@code [B*(T-1)]}
   * @param entropy the predictive entropy at each position, {@code [B*(T-1)]}
   */
  public static Map<String, Double> tokenMetrics(float[] hits, float[] entropy, Batch b) {
    float[] mask = b.targetMask();
    double correct = 0;
    double nats = 0;
    for (int i = 0; i < mask.length; i++) {
      if (mask[i] != 0) {
        correct += hits[i];
        nats += entropy[i];
      }
    }
    Map<String, Double> m = new java.util.LinkedHashMap<>();
    m.put("entropy", nats / b.lossTokens());
    m.put("mean_token_accuracy", correct / b.lossTokens());
    return m;
  }

  private static NDArray nll(NDArray tokenLogps, Batch b) {
    PaddedRows rows = b.rows();
    NDArray mask = tokenLogps.getManager().create(b.targetMask(), new Shape(rows.rows(), rows.length() - 1));
    return tokenLogps.mul(mask).sum().neg();
  }

  /** Next-token log-probs {@code [B, T-1]} of a batch (packed rows attend only within their documents). */
  public NDArray tokenLogProbs(Batch b) {
    DecoderGraph decoder = DecoderGraph.forward(model, b.rows(), false);
    return CausalLm.nextTokenLogProbs(model, decoder.hidden(), decoder.ids(), chunk);
  }
}
