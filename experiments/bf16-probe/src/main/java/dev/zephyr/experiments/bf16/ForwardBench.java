package dev.zephyr.experiments.bf16;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.zephyr.core.model.LlamaModel;
import dev.zephyr.core.model.ModelConfig;
import dev.zephyr.core.model.ModelType;
import java.util.Arrays;
import java.util.Random;
import org.bytedeco.pytorch.global.torch;

/**
 * Issue 18, step 2: the decoder's forward at smollm2-135m's shape (fewer layers by default, to fit a loaded 2-core
 * machine) with DJL's float32 matmuls against {@link Bf16Matmul}, alternately (A B A B ...), on the same random
 * weights and tokens. Prints tokens/s of each and how far the BF16 log-probabilities of the next tokens are from the
 * float32 ones.
 *
 * <p>Run: {@code scripts/bf16-probe ForwardBench [layers=6] [batch=1] [tokens=512] [rounds=3] [threads=2]}.
 */
public final class ForwardBench {
  private ForwardBench() {}

  /** HuggingFaceTB/SmolLM2-135M's config.json, with {@code layers} of its 30 decoder layers. */
  static ModelConfig smollm2(int layers) {
    return ModelConfig.builder().modelType(ModelType.LLAMA).hiddenSize(576).numHiddenLayers(layers)
        .numAttentionHeads(9).numKeyValueHeads(3).intermediateSize(1536).vocabSize(49152).rmsNormEps(1e-5)
        .ropeTheta(100000).maxPositionEmbeddings(8192).tieWordEmbeddings(true).build();
  }

  public static void main(String[] args) {
    BenchArgs p = BenchArgs.parse(args, new BenchArgs(6, 1, 512, 3, 2));
    int rounds = p.repeats();
    System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(p.threads()));
    System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
    try (NDManager m = NDManager.newBaseManager(); Bf16Matmul bf16 = new Bf16Matmul()) {
      torch.set_num_threads(p.threads());
      LlamaModel fp32 = LlamaModel.random(smollm2(p.layers()), 42, m);
      LlamaModel bf = fp32.withMatmul(bf16);
      Random r = new Random(7);
      long[] ids = new long[p.batch() * p.tokens()];
      for (int i = 0; i < ids.length; i++) {
        ids[i] = r.nextInt(49152);
      }
      NDArray input = m.create(ids, new Shape(p.batch(), p.tokens()));
      double[] a = new double[rounds];
      double[] b = new double[rounds];
      NDArray[] last = new NDArray[2];
      for (int round = -1; round < rounds; round++) { // round -1 warms both up
        for (int which = 0; which < 2; which++) {
          LlamaModel model = which == 0 ? fp32 : bf;
          try (NDManager step = m.newSubManager()) {
            long t0 = System.nanoTime();
            NDArray logits = model.forward(input, null, null, null);
            logits.getFloat(0, 0, 0); // libtorch is eager, but make sure the result exists
            double seconds = (System.nanoTime() - t0) / 1e9;
            logits.attach(step);
            if (round >= 0) {
              (which == 0 ? a : b)[round] = seconds;
            }
            if (round == rounds - 1) {
              last[which] = nextTokenLogProbs(logits, input);
              last[which].detach();
            } else {
              logits.close();
            }
          }
        }
      }
      double tokensPerForward = (double) p.batch() * p.tokens();
      Bf16Probe.print("forward smollm2-135m shape, %d layers, batch %d x %d tokens, %d threads: fp32 %.1f tok/s, "
          + "bf16 %.1f tok/s (medians of %d, alternated), bf16/fp32 %.2fx", p.layers(), p.batch(), p.tokens(),
          p.threads(),
          tokensPerForward / median(a), tokensPerForward / median(b), rounds, median(a) / median(b));
      NDArray diff = last[0].sub(last[1]).abs();
      Bf16Probe.print("next-token log-probs: bf16 vs fp32 max |diff| %.4f, mean |diff| %.5f nats; fp32 mean %.4f",
          diff.max().getFloat(), diff.mean().getFloat(), last[0].mean().getFloat());
      last[0].close();
      last[1].close();
    }
    Bf16Probe.print("forward bench finished; leaving main normally");
  }

  /** log p(token t+1 | tokens ..t) for every position but the last: {@code [B, T-1]}. */
  private static NDArray nextTokenLogProbs(NDArray logits, NDArray ids) {
    long t = ids.getShape().get(1);
    NDArray logp = logits.get(":, :-1, :").logSoftmax(-1);
    NDArray next = ids.get(":, 1:").toType(DataType.INT64, false).expandDims(2);
    return logp.gather(next, 2).reshape(ids.getShape().get(0), t - 1);
  }

  private static double median(double[] xs) {
    double[] s = xs.clone();
    Arrays.sort(s);
    return s[s.length / 2];
  }

}
