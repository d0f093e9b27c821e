package dev.zephyr.train.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.zephyr.core.io.Json;

/**
 * One benchmark run's figures.
 *
 * @param params scalars of the trained model: every base weight (at 2 bytes or 4) plus the adapters
 * @param trainableParams scalars the optimizer updates
 * @param params16Bit base or reference weights held at 2 bytes
 * @param flopsPerToken model FLOPs per trained token, reference forward included ({@link TrainFlops})
 * @param gemmGflops the peak MFU divides by ({@link GemmPeak})
 * @param peakRssMb peak resident memory while training (VmHWM reset after the models were built)
 * @param setupPeakRssMb peak resident memory while the random models were built; -1 where it could not be told apart
 * @param pairsPerForward DPO pairs per forward/backward (0 for SFT)
 */
public record TrainBenchResult(String impl, TrainBenchOptions options, long params, long trainableParams,
    long params16Bit, int pairsPerForward, double stepSeconds, double flopsPerToken, double gemmGflops,
    long peakRssMb, long setupPeakRssMb, int threads) {
  /** The {@code dtype} of a float32 benchmark line: the arithmetic of the matrix products. */
  public static final String COMPUTE_DTYPE = "f32";

  public double tokensPerSecond() {
    return options.tokensPerStep() / stepSeconds;
  }

  /** Model FLOP utilisation: {@code tokens/s x flops_per_token / (gemm_gflops x 1e9)}. */
  public double mfu() {
    return tokensPerSecond() * flopsPerToken / (gemmGflops * 1e9);
  }

  /** The one-line JSON record, with {@code torch_reference.py bench}'s key names where it has them. */
  public ObjectNode toJson() {
    TrainBenchOptions o = options;
    ObjectNode j = Json.mapper().createObjectNode();
    j.put("impl", impl);
    j.put("mode", o.mode().cliName());
    j.put("shape", o.shape().name());
    j.put("dtype", o.frozen() == TrainBenchOptions.Frozen.BF16 ? "bf16" : COMPUTE_DTYPE);
    j.put("frozen_dtype", o.frozen().cliName());
    j.put("lora_r", o.loraR());
    j.put("reference", o.reference());
    if (o.mode() == TrainBenchOptions.Mode.DPO) {
      j.put("pairs_per_forward", pairsPerForward);
    }
    j.put("gradient_checkpointing", o.gradientCheckpointing());
    j.put("batch", o.batch());
    j.put("seq", o.seq());
    j.put("params", params);
    j.put("trainable_params", trainableParams);
    j.put("params_16bit", params16Bit);
    j.put("tokens_per_step", o.tokensPerStep());
    j.put("step_s", round(stepSeconds, 4));
    j.put("tokens_per_s", round(tokensPerSecond(), 1));
    j.put("flops_per_token", Math.round(flopsPerToken));
    j.put("gemm_gflops", round(gemmGflops, 1));
    j.put("mfu", round(mfu(), 4));
    j.put("peak_rss_mb", peakRssMb);
    j.put("setup_peak_rss_mb", setupPeakRssMb);
    j.put("threads", threads);
    return j;
  }

  private static double round(double v, int digits) {
    double f = Math.pow(10, digits);
    return Math.round(v * f) / f;
  }
}
