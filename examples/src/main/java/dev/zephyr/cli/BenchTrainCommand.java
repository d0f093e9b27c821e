package dev.zephyr.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.zephyr.core.io.Json;
import dev.zephyr.core.model.LlamaModel;
import dev.zephyr.core.model.ModelConfig;
import dev.zephyr.train.dpo.DpoExample;
import dev.zephyr.train.dpo.DpoLoss;
import dev.zephyr.train.dpo.DpoTask;
import dev.zephyr.train.dpo.ReferenceLogps;
import dev.zephyr.train.loop.Trainer;
import dev.zephyr.train.loop.TrainingArguments;
import dev.zephyr.train.optim.SchedulerType;
import dev.zephyr.train.sft.SftSequence;
import dev.zephyr.train.sft.SftTask;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code zephyr bench train --mode sft|dpo [--cached-ref]}: training throughput of the real trainer (AdamW, global-norm
 * clipping at 1.0, lr 1e-4, no weight decay) on a random Llama model and random tokens, with the size flags and
 * defaults of {@code shared/bench/torch_reference.py bench}. DPO runs a policy forward/backward over [chosen; rejected]
 * plus a no-grad forward of a separate reference model each step, like the reference script; {@code --cached-ref}
 * instead computes the reference log-probs once with the initial policy before training (one model in memory). Prints
 * one JSON line: tokens_per_s, step_s, params, gemm_gflops (1024^3 float32 matmul in this process), mfu and
 * peak_rss_mb (VmHWM).
 */
@Command(name = "train", mixinStandardHelpOptions = true,
    description = "Measure SFT or DPO training throughput on a random model; prints one JSON line.")
public final class BenchTrainCommand implements Callable<Integer> {
  enum Mode { sft, dpo }

  @Option(names = "--mode", defaultValue = "sft", description = "${COMPLETION-CANDIDATES}") Mode mode;
  @Option(names = "--cached-ref", description = "dpo: reference log-probs computed once before training")
  boolean cachedRef;
  @Mixin RandomLlamaOptions shape;
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
  @Option(names = "--gradient-checkpointing",
      description = "recompute each decoder layer in backward instead of keeping its activations")
  boolean gradientCheckpointing;

  public static void main(String[] args) {
    Runtime.configureDefaults();
    System.exit(ZephyrCli.commandLine(new BenchTrainCommand()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    ModelConfig config = shape.config(Math.max(4096, seq));
    Path out = Files.createTempDirectory("zephyr-bench-train");
    SplittableRandom rng = new SplittableRandom(seed);
    int totalSteps = steps + 1;
    try (NDManager manager = NDManager.newBaseManager();
        LlamaModel policy = LlamaModel.random(config, seed, manager)) {
      TrainingArguments args = TrainingArguments.builder(out).learningRate(1e-4)
          .lrSchedulerType(SchedulerType.CONSTANT).weightDecay(0).maxGradNorm(1.0).perDeviceTrainBatchSize(batch)
          .maxSteps(totalSteps).saveSteps(0).loggingSteps(1_000_000).disableTqdm(true).seed(seed)
          .gradientCheckpointing(gradientCheckpointing).build();
      long[] stepEnds = new long[totalSteps + 1];
      double tokensPerStep;
      double flopsPerToken = 6.0 * matmulParams(config);
      int perForward = 0;
      if (mode == Mode.sft) {
        List<SftSequence> rows = new ArrayList<>();
        for (int i = 0; i < batch * totalSteps; i++) {
          int[] ids = shape.randomIds(rng, seq);
          int[] mask = new int[seq];
          java.util.Arrays.fill(mask, 1);
          rows.add(SftSequence.of(ids, mask));
        }
        tokensPerStep = (double) batch * seq;
        try (Trainer<SftSequence, SftTask.Batch> t = new Trainer<>(args, new SftTask(policy, chunk), rows,
            params(policy))) {
          t.onStepEnd(s -> stepEnds[(int) (long) s] = System.nanoTime());
          stepEnds[0] = System.nanoTime();
          t.train();
        }
      } else {
        List<DpoExample> pairs = new ArrayList<>();
        for (int i = 0; i < batch * totalSteps; i++) {
          // one prompt token, then seq-1 completion tokens: every next-token position counts, as in the reference
          pairs.add(DpoExample.of(shape.randomIds(rng, 1), shape.randomIds(rng, seq - 1),
              shape.randomIds(rng, seq - 1)));
        }
        tokensPerStep = 2.0 * batch * seq;
        LlamaModel reference = null;
        try {
          if (cachedRef) {
            pairs = ReferenceLogps.compute(policy, pairs, batch);
          } else {
            reference = LlamaModel.random(config, seed + 1, manager);
            flopsPerToken += 2.0 * matmulParams(config); // the reference forward
          }
          DpoTask task = new DpoTask(policy, reference, DpoLoss.sigmoid(0.1), chunk, pairsPerForward);
          perForward = task.pairsPerForward(batch);
          try (Trainer<DpoExample, DpoTask.Batch> t = new Trainer<>(args, task, pairs, params(policy))) {
            t.onStepEnd(s -> stepEnds[(int) (long) s] = System.nanoTime());
            stepEnds[0] = System.nanoTime();
            t.train();
          }
        } finally {
          if (reference != null) {
            reference.close();
          }
        }
      }
      double stepS = (stepEnds[totalSteps] - stepEnds[1]) / 1e9 / steps;
      double tokensPerS = tokensPerStep / stepS;
      double gemm = BenchCommand.gemmPeakGflops(manager);
      ObjectNode o = Json.mapper().createObjectNode();
      o.put("impl", BenchCommand.impl());
      o.put("mode", mode.name() + (mode == Mode.dpo && cachedRef ? "-cached-ref" : ""));
      if (mode == Mode.dpo) {
        o.put("pairs_per_forward", perForward);
      }
      if (gradientCheckpointing) {
        o.put("gradient_checkpointing", true);
      }
      o.put("params", policy.parameterCount());
      o.put("tokens_per_step", (long) tokensPerStep);
      o.put("step_s", Math.round(stepS * 1e4) / 1e4);
      o.put("tokens_per_s", Math.round(tokensPerS * 10) / 10.0);
      o.put("gemm_gflops", Math.round(gemm * 10) / 10.0);
      o.put("mfu", Math.round(tokensPerS * flopsPerToken / (gemm * 1e9) * 1e4) / 1e4);
      o.put("peak_rss_mb", Math.round(peakRssKb() / 1024.0));
      o.put("threads", ai.djl.pytorch.jni.JniUtils.getNumThreads());
      System.out.println(o);
      return 0;
    } finally {
      try (var s = Files.walk(out)) {
        s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  private static java.util.Map<String, NDArray> params(LlamaModel m) {
    return new java.util.LinkedHashMap<>(m.parameters());
  }

  /** Parameters that take part in matmuls (the embedding lookup does not, unless it is the tied head). */
  static long matmulParams(ModelConfig c) {
    long total = LlamaModel.parameterShapes(c).values().stream().mapToLong(s -> s.size()).sum();
    return c.tieWordEmbeddings() ? total : total - (long) c.vocabSize() * c.hiddenSize();
  }

  static long peakRssKb() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmHWM:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
      }
    } catch (java.io.IOException e) {
      return -1;
    }
    return -1;
  }
}
