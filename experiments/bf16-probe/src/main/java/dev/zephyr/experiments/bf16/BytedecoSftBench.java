package dev.zephyr.experiments.bf16;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;

/**
 * Issue 18, the "switch engine" alternative: SFT steps of {@link BytedecoDecoder} in bytedeco's libtorch alone, float32
 * against {@code torch.autocast(cpu, bfloat16)} semantics (autocast's C++ switch: matmuls in bfloat16 with float32
 * accumulation, float32 master weights, Adam state and loss). Both runs start from the same weights and see the same
 * batches; their steps alternate (A B A B ...), so both share whatever load the machine has. Prints each step's two
 * losses, the largest loss difference, and tokens/s of each.
 *
 * <p>Run: {@code scripts/bf16-probe BytedecoSftBench [layers=2] [batch=1] [tokens=256] [steps=50] [threads=2]
 * [vocab=49152]}.
 */
public final class BytedecoSftBench {
  private BytedecoSftBench() {}

  public static void main(String[] args) {
    BenchArgs p = BenchArgs.parse(args, new BenchArgs(2, 1, 256, 50, 2));
    int vocab = Bf16Probe.intArg(args, 5, BytedecoDecoder.SMOLLM2_VOCAB);
    torch.set_num_threads(p.threads());
    torch.set_autocast_dtype(torch.DeviceType.CPU, torch.ScalarType.BFloat16);
    // autocast's weight cache would keep bf16 copies across optimizer steps here (no context exit clears it)
    torch.set_autocast_cache_enabled(false);
    Run fp32 = new Run(new BytedecoDecoder(p.layers(), vocab, 1234), false);
    Run bf16 = new Run(new BytedecoDecoder(p.layers(), vocab, 1234), true);
    List<Tensor> data = batches(4, p.batch(), p.tokens() + 1, vocab);
    double worst = 0;
    double worstRelative = 0;
    for (int step = 0; step < p.repeats(); step++) {
      Tensor ids = data.get(step % data.size());
      double a = fp32.step(ids);
      double b = bf16.step(ids);
      worst = Math.max(worst, Math.abs(a - b));
      worstRelative = Math.max(worstRelative, Math.abs(a - b) / Math.abs(a));
      Bf16Probe.print("step %2d loss fp32 %.5f bf16 %.5f diff %+.5f (%.2f s, %.2f s)", step + 1, a, b, b - a,
          fp32.lastSeconds(), bf16.lastSeconds());
    }
    double perStep = (double) p.batch() * p.tokens();
    Bf16Probe.print("sft %d layers (smollm2-135m widths, vocab %d), batch %d x %d tokens, %d threads, %d steps: "
        + "fp32 %.1f tok/s, bf16 autocast %.1f tok/s (medians), bf16/fp32 %.2fx; max |loss diff| %.5f "
        + "(relative %.2e)", p.layers(), vocab,
        p.batch(), p.tokens(), p.threads(), p.repeats(), perStep / fp32.medianSeconds(), perStep / bf16.medianSeconds(),
        fp32.medianSeconds() / bf16.medianSeconds(), worst, worstRelative);
    Bf16Probe.print("bytedeco sft bench finished; leaving main normally");
  }

  /** {@code count} batches of random token ids {@code [batch, length]}, cycled through by the steps. */
  private static List<Tensor> batches(int count, int batch, int length, int vocab) {
    Random r = new Random(99);
    List<Tensor> out = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      long[] ids = new long[batch * length];
      for (int j = 0; j < ids.length; j++) {
        ids[j] = r.nextInt(vocab);
      }
      // from_blob does not own the Java-allocated memory: clone into libtorch's own
      out.add(torch.from_blob(new LongPointer(ids), new long[] {batch, length},
          new TensorOptions(torch.ScalarType.Long)).clone());
    }
    return out;
  }

  /** One model and its AdamW state (lr 1e-4, betas 0.9/0.999, eps 1e-8, no weight decay), trained step by step. */
  private static final class Run {
    private final BytedecoDecoder model;
    private final boolean autocast;
    private final List<Tensor> m = new ArrayList<>();
    private final List<Tensor> v = new ArrayList<>();
    private final List<Double> seconds = new ArrayList<>();
    private int t;

    Run(BytedecoDecoder model, boolean autocast) {
      this.model = model;
      this.autocast = autocast;
      for (Tensor p : model.parameters) {
        m.add(torch.zeros_like(p));
        v.add(torch.zeros_like(p));
      }
    }

    double step(Tensor ids) {
      long t0 = System.nanoTime();
      double loss;
      try (PointerScope scope = new PointerScope()) {
        torch.set_autocast_enabled(torch.DeviceType.CPU, autocast);
        Tensor l;
        try {
          l = model.loss(ids);
        } finally {
          torch.set_autocast_enabled(torch.DeviceType.CPU, false);
        }
        l.backward();
        loss = l.item_float();
        adam();
      }
      seconds.add((System.nanoTime() - t0) / 1e9);
      return loss;
    }

    private void adam() {
      t++;
      double lr = 1e-4;
      double b1 = 0.9;
      double b2 = 0.999;
      double c1 = 1 - Math.pow(b1, t);
      double c2 = 1 - Math.pow(b2, t);
      try (NoGradGuard noGrad = new NoGradGuard()) {
        for (int i = 0; i < model.parameters.size(); i++) {
          Tensor p = model.parameters.get(i);
          Tensor g = p.grad();
          m.get(i).mul_(new Scalar(b1)).add_(g, new Scalar(1 - b1));
          v.get(i).mul_(new Scalar(b2)).addcmul_(g, g, new Scalar(1 - b2));
          Tensor denom = v.get(i).div(new Scalar(c2)).sqrt().add(new Scalar(1e-8));
          p.sub_(m.get(i).div(denom), new Scalar(lr / c1));
          g.zero_();
        }
      }
    }

    double lastSeconds() {
      return seconds.get(seconds.size() - 1);
    }

    double medianSeconds() {
      List<Double> s = new ArrayList<>(seconds.subList(Math.min(2, seconds.size() - 1), seconds.size()));
      s.sort(null);
      return s.get(s.size() / 2);
    }
  }

}
