package dev.zephyr.experiments.bf16;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import java.util.Locale;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Issue 18, step 1: DJL's libtorch 2.7.1 and bytedeco's libtorch 2.10 in one JVM. Checks that both compute (and agree)
 * when used alternately, then measures GFLOP/s of the decoder's matrix multiplies at smollm2-135m's shapes in DJL
 * float32, bytedeco float32 and bytedeco bfloat16 (float32 accumulation), and what moving data between the two costs.
 *
 * <p>Run: {@code scripts/bf16-probe Bf16Probe [djl-first|bytedeco-first] [threads] [seconds per measurement]}
 * (see docs/bf16-compute.md). Prints one line per measurement.
 */
public final class Bf16Probe {
    private static final torch.ScalarType BF16 = torch.ScalarType.BFloat16;

  private Bf16Probe() {}

  public static void main(String[] args) {
    boolean bytedecoFirst = args.length > 0 && args[0].equals("bytedeco-first");
    int threads = args.length > 1 ? Integer.parseInt(args[1]) : 2;
    double budget = args.length > 2 ? Double.parseDouble(args[2]) : 0.6;
    System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(threads));
    System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
    print("load order: %s", bytedecoFirst ? "bytedeco libtorch 2.10 first" : "DJL libtorch 2.7.1 first");
    if (bytedecoFirst) {
      bytedecoSmoke(threads);
    }
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray a = m.randomNormal(new Shape(256, 256));
      float djlSum = a.matMul(a).sum().getFloat();
      print("djl engine=%s version=%s matmul-sum=%.4f", Engine.getInstance().getEngineName(),
          Engine.getInstance().getVersion(), djlSum);
      if (!bytedecoFirst) {
        bytedecoSmoke(threads);
      }

      // the same numbers through both, alternately: DJL fp32 against bytedeco bf16 with fp32 output
      double worst = 0;
      for (int round = 0; round < 10; round++) {
        worst = Math.max(worst, agreement(m, 512, 576, 1536, round));
      }
      print("alternate 10 rounds DJL fp32 vs bytedeco bf16 (widened): max relative error %.2e", worst);

      for (long tokens : new long[] {128, 512, 2048}) {
        for (Gemm g : decoderGemms(tokens)) {
          gemm(m, g, budget);
        }
      }
      transfers(m, budget);
    }
    print("probe finished; leaving main normally");
  }

  private static void bytedecoSmoke(int threads) {
    torch.set_num_threads(threads);
    try (PointerScope s = new PointerScope()) {
      Tensor b = torch.randn(256, 256).to(BF16);
      Tensor c = b.mm(b);
      print("bytedeco threads=%d bf16-mm dtype=%s sum=%.4f", torch.get_num_threads(), c.scalar_type(),
          c.sum().item_float());
    }
  }

  /** smollm2-135m: hidden 576, 9 heads / 3 KV heads of 64, intermediate 1536, vocabulary 49152. */
  static List<Gemm> decoderGemms(long tokens) {
    return List.of(new Gemm("q_proj/o_proj", tokens, 576, 576), new Gemm("k_proj/v_proj", tokens, 576, 192),
        new Gemm("gate/up_proj", tokens, 576, 1536), new Gemm("down_proj", tokens, 1536, 576),
        new Gemm("lm_head", tokens, 576, 49152));
  }

  /**
   * x·Wᵀ in DJL float32 and through bytedeco in bf16 widened to float32; the largest error relative to the largest
   * output.
   */
  private static double agreement(NDManager parent, long t, long in, long out, int seed) {
    try (NDManager m = parent.newSubManager(); PointerScope s = new PointerScope()) {
      m.getEngine().setRandomSeed(seed);
      NDArray x = m.randomNormal(new Shape(t, in));
      NDArray w = m.randomNormal(0, 0.02f, new Shape(out, in), ai.djl.ndarray.types.DataType.FLOAT32);
      NDArray ref = x.matMul(w.transpose());
      NDArray got = TorchBridge.empty(m, new Shape(t, out));
      Tensor wb = TorchBridge.view(w).to(BF16);
      // libtorch has no CPU kernel for mm with a float32 out_dtype (aten::mm.dtype_out): the product comes out in
      // bf16 (float32 accumulation inside oneDNN, as under autocast) and is widened into DJL's array
      TorchBridge.view(got).copy_(TorchBridge.view(x).to(BF16).mm(wb.t()));
      return got.sub(ref).abs().max().getFloat() / ref.abs().max().getFloat();
    }
  }

  private static void gemm(NDManager parent, Gemm g, double budget) {
    try (NDManager m = parent.newSubManager(); PointerScope s = new PointerScope()) {
      NDArray x = m.randomNormal(new Shape(g.tokens(), g.in()));
      NDArray w = m.randomNormal(new Shape(g.out(), g.in()));
      NDArray wt = w.transpose();
      NDArray out = TorchBridge.empty(m, new Shape(g.tokens(), g.out()));
      Tensor xv = TorchBridge.view(x);
      Tensor wv = TorchBridge.view(w);
      Tensor ov = TorchBridge.view(out);
      Tensor xb = xv.to(BF16);
      Tensor wb = wv.to(BF16);
      Tensor obf = torch.empty(g.tokens(), g.out()).to(BF16);

      report(g, "djl-fp32", Timer.time(() -> {
        try (NDManager step = m.newSubManager()) {
          x.matMul(wt).attach(step);
        }
      }, 1, budget, 3, 200));
      report(g, "bytedeco-fp32", Timer.time(() -> torch.mm_out(ov, xv, wv.t()), 1, budget, 3, 200));
      report(g, "bytedeco-bf16(bf16 out)", Timer.time(() -> torch.mm_out(obf, xb, wb.t()), 1, budget, 3, 200));
      // what a linear layer pays with a cached bf16 weight: view DJL's input, cast it, multiply into DJL's output
      report(g, "linear-bf16(djl in/out)", Timer.time(() -> {
        try (PointerScope inner = new PointerScope()) {
          torch.mm_out(obf, TorchBridge.view(x).to(BF16), wb.t());
          TorchBridge.view(out).copy_(obf);
        }
      }, 1, budget, 3, 200));
    }
  }

  private static void transfers(NDManager parent, double budget) {
    for (long[] dims : new long[][] {{2048, 576}, {2048, 1536}, {512, 49152}}) {
      try (NDManager m = parent.newSubManager(); PointerScope s = new PointerScope()) {
        NDArray x = m.randomNormal(new Shape(dims));
        double mb = x.size() * 4 / 1e6;
        Tensor t = TorchBridge.view(x).mul(new org.bytedeco.pytorch.Scalar(1.0));
        Timer.Result view = Timer.time(() -> {
          try (PointerScope inner = new PointerScope()) {
            TorchBridge.view(x);
          }
        }, 3, budget, 10, 10000);
        Timer.Result back = Timer.time(() -> {
          try (NDManager step = m.newSubManager()) {
            TorchBridge.copyToDjl(t, step);
          }
        }, 1, budget, 3, 1000);
        Timer.Result cast = Timer.time(() -> {
          try (PointerScope inner = new PointerScope()) {
            TorchBridge.view(x).to(BF16);
          }
        }, 1, budget, 3, 1000);
        print("transfer %s (%.1f MB): djl->bytedeco view %.1f us (zero-copy); bytedeco->djl copy %.3f ms "
            + "(%.1f GB/s); fp32->bf16 cast %.3f ms", new Shape(dims), mb, view.medianSeconds() * 1e6,
            back.medianSeconds() * 1e3, mb / 1e3 / back.medianSeconds(), cast.medianSeconds() * 1e3);
      }
    }
  }

  private static void report(Gemm g, String what, Timer.Result r) {
    print("gemm %-26s %-24s %7.1f GFLOP/s median (best %.1f, %d runs)", g, what,
        g.flops() / r.medianSeconds() / 1e9, g.flops() / r.bestSeconds() / 1e9, r.runs());
  }

  /** Argument {@code i} as an int, or {@code fallback} when absent. */
  static int intArg(String[] args, int i, int fallback) {
    return args.length > i ? Integer.parseInt(args[i]) : fallback;
  }

  static void print(String format, Object... args) {
    System.out.println(String.format(Locale.ROOT, format, args));
    System.out.flush();
  }
}
