package dev.zephyr.cli;

import dev.zephyr.train.bench.BenchShape;
import dev.zephyr.train.bench.TrainBench;
import dev.zephyr.train.bench.TrainBenchOptions;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code zephyr bench train}: the command-line face of {@link TrainBench}, which holds the benchmark; this class only
 * turns flags into {@link TrainBenchOptions} and prints the result's JSON line.
 */
@Command(name = "train", mixinStandardHelpOptions = true,
    description = {"Measure SFT or DPO training throughput and memory on a random model; prints one JSON line with"
        + " tokens_per_s, peak_rss_mb, params, trainable_params, gemm_gflops, mfu, threads and dtype (the compute"
        + " dtype; frozen_dtype is the storage --dtype picks).",
        "mfu = tokens_per_s x flops_per_token / gemm peak, where flops_per_token is 4(N+A) + 2W + 12·L·d·T per trained"
            + " token (N: projection and head parameters, A: LoRA parameters, W: trained weights, N or A; L layers,"
            + " d = heads x head_dim, T = --seq) plus 2N + 4·L·d·T per token a reference model scores, and the peak is"
            + " gemm_gflops, a 1024^3 float32 matmul timed in this process."})
public final class BenchTrainCommand implements Callable<Integer> {
  @Option(names = "--mode", defaultValue = "sft", description = "sft or dpo (default ${DEFAULT-VALUE})") String mode;
  @Option(names = "--lora-r", defaultValue = "0",
      description = "LoRA rank on all seven projections, base frozen; 0 trains every weight (default)") int loraR;
  @Option(names = "--lora-alpha", description = "LoRA alpha (default: the rank, so scaling 1)") Double loraAlpha;
  @Option(names = "--lora-dropout", defaultValue = "0", description = "LoRA dropout (default ${DEFAULT-VALUE})")
  double loraDropout;
  @Option(names = "--dtype", defaultValue = "f32", description = "f32, or bf16 = a recipe's bf16: true: matrix"
      + " multiplies in bfloat16 with float32 accumulation, master weights and optimizer state, and the frozen weights"
      + " (the LoRA base, or the DPO reference model) written as a BF16 checkpoint and held at 2 bytes per weight."
      + " Default ${DEFAULT-VALUE}") String dtype;
  @Option(names = "--cached-ref", description = "dpo: reference log-probs computed once before training")
  boolean cachedRef;
  @Mixin RandomLlamaOptions size;
  @Mixin DeviceOption device;
  @Option(names = "--seq", defaultValue = "256", description = "tokens per sequence") int seq;
  @Option(names = "--batch", defaultValue = "8", description = "sequences (sft) or pairs (dpo) per step") int batch;
  @Option(names = "--steps", defaultValue = "5", description = "timed steps, after one warm-up step") int steps;
  @Option(names = "--seed", defaultValue = "0", description = "seed of the weights, token ids and data order")
  long seed;
  @Option(names = "--chunk", defaultValue = "512",
      description = "tokens (over all rows) per vocabulary projection chunk of the two-pass LM head")
  int chunk;
  @Option(names = "--pairs-per-forward", defaultValue = "0",
      description = "dpo: at most this many pairs per forward/backward (0: the default, half the batch with"
          + " --cached-ref, all of it with a reference model)")
  int pairsPerForward;
  @Option(names = "--profile", paramLabel = "TRACE_JSON", description = "record the timed steps with libtorch's"
      + " profiler into this Chrome trace file (per-operator times and shapes; the profiler slows the steps)")
  Path profile;
  @Option(names = "--gradient-checkpointing",
      description = "recompute each decoder layer in backward instead of keeping its activations")
  boolean gradientCheckpointing;

  public static void main(String[] args) {
    Runtime.configureDefaults();
    System.exit(ZephyrCli.commandLine(new BenchTrainCommand()).execute(args));
  }

  /** The flags as benchmark options (invalid combinations are refused by the options record). */
  TrainBenchOptions options() {
    BenchShape shape = size.shape();
    return TrainBenchOptions.builder().mode(TrainBenchOptions.Mode.of(mode)).shape(shape).loraR(loraR)
        .loraAlpha(loraAlpha != null ? loraAlpha : Math.max(loraR, 1)).loraDropout(loraDropout)
        .frozen(TrainBenchOptions.Frozen.of(dtype)).batch(batch).seq(seq).steps(steps).seed(seed).chunk(chunk)
        .pairsPerForward(pairsPerForward).cachedRef(cachedRef).gradientCheckpointing(gradientCheckpointing).build();
  }

  @Override
  public Integer call() {
    size.applyThreads();
    System.out.println(TrainBench.run(options(), device.resolve(), profile).toJson());
    return 0;
  }
}
