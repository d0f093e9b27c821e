package dev.zephyr.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.zephyr.core.chat.SamplingParams;
import dev.zephyr.core.generate.GenerationRequest;
import dev.zephyr.core.generate.Generator;
import dev.zephyr.core.io.Json;
import dev.zephyr.core.model.LlamaModel;
import dev.zephyr.core.model.ModelConfig;
import ai.djl.pytorch.jni.JniUtils;
import dev.zephyr.train.bench.BenchShape;
import dev.zephyr.train.bench.GemmPeak;
import dev.zephyr.train.bench.PeakRss;
import dev.zephyr.train.bench.TrainBench;
import dev.zephyr.train.bench.TrainBenchResult;
import dev.zephyr.train.bench.TrainFlops;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code zephyr bench forward|generate}: throughput of the decoder on a random Llama model, with the size flags,
 * {@code --shape} names and defaults of {@code shared/bench/torch_reference.py bench} (forward: one untimed step,
 * then {@code --steps} timed full-logit forwards of {@code batch x seq} random tokens without a graph, as its
 * {@code --mode forward}). Prints one JSON line with its key names: tokens/s, the GEMM peak measured in this process
 * after the run (1024³ float32 matmul, as the reference measures it), the model FLOP utilisation against that peak,
 * the peak resident memory of the measured work ({@code VmHWM} reset once the model exists), the libtorch intra-op
 * threads and the compute dtype.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
    description = "Measure forward or batched-generation throughput on a random model; prints one JSON line."
        + " 'bench train --mode sft|dpo' measures training; 'bench compare' is scripts/bench-vs-torch's ratio.",
    subcommands = {BenchTrainCommand.class, BenchCompareCommand.class})
public final class BenchCommand implements Callable<Integer> {
  enum Mode { forward, generate }

  @Spec CommandSpec spec;

  // optional so that the 'train' subcommand parses without it
  @Parameters(index = "0", arity = "0..1", paramLabel = "MODE", description = "${COMPLETION-CANDIDATES}")
  Mode mode;
  @Mixin RandomLlamaOptions size;
  @Mixin DeviceOption device;
  @Option(names = "--seq", description = "forward: sequence length (default 256); generate: prompt length (default 32)")
  Integer seq;
  @Option(names = "--batch", defaultValue = "8", description = "sequences per step") int batch;
  @Option(names = "--steps", defaultValue = "5", description = "timed forward steps (after one warm-up)") int steps;
  @Option(names = "--new-tokens", defaultValue = "128", description = "generate: new tokens per sequence")
  int newTokens;
  @Option(names = "--seed", defaultValue = "0", description = "seed of the weights and token ids") long seed;
  @Option(names = "--profile", paramLabel = "TRACE_JSON", description = "forward: record the timed steps with"
      + " libtorch's profiler into this Chrome trace file (per-operator times and shapes; the profiler slows them)")
  java.nio.file.Path profile;

  @Override
  public Integer call() throws Exception {
    if (mode == null) {
      throw CliErrors.usageError(spec, "give a mode (forward or generate) or the 'train' or 'compare' subcommand");
    }
    BenchShape benchShape = size.shape();
    ModelConfig config = benchShape.config(4096);
    size.applyThreads();
    try (NDManager manager = device.newBaseManager(); LlamaModel model = LlamaModel.random(config, seed, manager)) {
      ObjectNode out = Json.mapper().createObjectNode();
      out.put("impl", TrainBench.impl());
      out.put("mode", mode.name());
      out.put("shape", benchShape.name());
      out.put("dtype", TrainBenchResult.COMPUTE_DTYPE);
      out.put("params", model.parameterCount());
      PeakRss.settleAndReset(); // the peak covers the measured work, not the random fill of the weights
      double flopsPerToken;
      double tokensPerS;
      if (mode == Mode.forward) {
        int t = seq == null ? 256 : seq;
        SplittableRandom rng = new SplittableRandom(seed);
        forwardStep(model, manager, rng, t); // warm-up, as the reference does
        if (profile != null) {
          JniUtils.startProfile(false, true, false);
        }
        long start = System.nanoTime();
        for (int i = 0; i < steps; i++) {
          forwardStep(model, manager, rng, t);
        }
        double stepS = (System.nanoTime() - start) / 1e9 / steps;
        if (profile != null) {
          JniUtils.stopProfile(profile.toString());
        }
        tokensPerS = batch * t / stepS;
        flopsPerToken = matmulFlopsPerToken(config) + attentionFlopsPerToken(config, t);
        out.put("batch", batch);
        out.put("seq", t);
        out.put("tokens_per_step", batch * t);
        out.put("step_s", round(stepS, 4));
      } else {
        int prompt = seq == null ? 32 : seq;
        Generator generator = new Generator(model, null, manager, batch);
        SplittableRandom rng = new SplittableRandom(seed);
        generator.generate(requests(rng, prompt, Math.min(8, newTokens))); // warm-up
        long start = System.nanoTime();
        var results = generator.generate(requests(rng, prompt, newTokens));
        double s = (System.nanoTime() - start) / 1e9;
        int generated = results.stream().mapToInt(r -> r.first().length()).sum();
        tokensPerS = generated / s;
        // average attention context over the generated tokens
        flopsPerToken = matmulFlopsPerToken(config) + attentionFlopsPerToken(config, prompt + newTokens / 2.0);
        out.put("batch", batch);
        out.put("prompt_tokens", prompt);
        out.put("new_tokens", newTokens);
        out.put("generated_tokens", generated);
        out.put("total_s", round(s, 3));
      }
      long peakKb = PeakRss.kilobytes();
      out.put("tokens_per_s", round(tokensPerS, 1));
      double peak = GemmPeak.gflops(manager);
      double achieved = tokensPerS * flopsPerToken / 1e9;
      out.put("flops_per_token", Math.round(flopsPerToken));
      out.put("model_gflops", round(achieved, 2));
      out.put("gemm_gflops", round(peak, 1));
      out.put("mfu", round(achieved / peak, 4));
      out.put("peak_rss_mb", peakKb < 0 ? -1 : Math.round(peakKb / 1024.0));
      // generation decodes with its own thread count (Generator.decodeThreads), not the process's
      boolean decodeThreads = mode == Mode.generate && Generator.decodeThreads() > 0;
      out.put("threads", decodeThreads ? Generator.decodeThreads() : JniUtils.getNumThreads());
      System.out.println(Json.mapper().writeValueAsString(out));
      return 0;
    }
  }

  private List<GenerationRequest> requests(SplittableRandom rng, int prompt, int maxTokens) {
    List<GenerationRequest> reqs = new ArrayList<>();
    for (int b = 0; b < batch; b++) {
      reqs.add(new GenerationRequest(size.randomIds(rng, prompt),
          SamplingParams.builder().temperature(1.0).seed((long) b).maxTokens(maxTokens).build()));
    }
    return reqs;
  }

  private void forwardStep(LlamaModel model, NDManager manager, SplittableRandom rng, int t) {
    int vocab = model.config().vocabSize();
    long[] ids = new long[batch * t];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = rng.nextInt(vocab);
    }
    try (NDScope scope = new NDScope()) {
      scope.suppressNotUsedWarning();
      NDArray logits = model.forward(manager.create(ids, new Shape(batch, t)), null, null, null);
      logits.get(0, 0, 0).getFloat(); // make sure the computation finished
    }
  }

  /** 2 FLOPs per multiply-add over every projection and the LM head (the embedding lookup is free). */
  static double matmulFlopsPerToken(ModelConfig c) {
    return 2.0 * TrainFlops.matmulParams(c);
  }

  /** Scores and weighted sum against {@code context} keys: 2·2·context·heads·head_dim per layer. */
  static double attentionFlopsPerToken(ModelConfig c, double context) {
    return 4.0 * c.numHiddenLayers() * context * c.numAttentionHeads() * c.headDim();
  }

  private static double round(double v, int digits) {
    double f = Math.pow(10, digits);
    return Math.round(v * f) / f;
  }
}
