package dev.zephyr.train.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import dev.zephyr.core.CheckpointException;
import dev.zephyr.core.model.LlamaModel;
import dev.zephyr.core.model.ModelConfig;
import dev.zephyr.train.dpo.DpoExample;
import dev.zephyr.train.dpo.DpoLoss;
import dev.zephyr.train.dpo.DpoTask;
import dev.zephyr.train.dpo.ReferenceLogps;
import dev.zephyr.train.loop.Trainer;
import dev.zephyr.train.loop.TrainingArguments;
import dev.zephyr.train.loop.TrainingTask;
import dev.zephyr.train.optim.SchedulerType;
import dev.zephyr.train.sft.SftSequence;
import dev.zephyr.train.sft.SftTask;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

/**
 * Training throughput and memory of the real trainer (AdamW, global-norm clipping at 1.0, lr 1e-4, no weight decay,
 * the fused LM head) on a random model and random tokens, as {@code shared/bench/torch_reference.py bench} measures
 * PyTorch. One untimed warm-up step, then {@link TrainBenchOptions#steps()} timed ones.
 *
 * <ul>
 *   <li>SFT trains on {@code batch} rows of {@code seq} tokens, every position a target.
 *   <li>DPO trains on {@code batch} pairs, each one prompt token then {@code seq - 1} chosen and rejected tokens, with
 *       a reference forward per step: a second random model (full fine-tuning), the base with adapters off (LoRA, as
 *       TRL does with PEFT), or log-probs cached before training ({@code cachedRef}).
 *   <li>With LoRA, adapters of rank r on all seven projections train and the base is frozen.
 *   <li>{@link TrainBenchOptions.Frozen#BF16} multiplies in bfloat16 ({@code bf16: true} in a recipe), and writes the
 *       frozen model (LoRA base or DPO reference) as a BF16 checkpoint and loads it keeping its matrices at 2 bytes, as
 *       a recipe run loads a BF16 checkpoint.
 * </ul>
 * Peak resident memory is read from {@code VmHWM}, reset once the models exist so that it covers training only; the
 * peak of building the random models is reported apart.
 */
public final class TrainBench {
  private TrainBench() {}

  /** Runs the benchmark in this process; the native memory it uses is freed when it returns. */
  public static TrainBenchResult run(TrainBenchOptions o) {
    return run(o, null);
  }

  /** As {@link #run(TrainBenchOptions)}, every array on {@code device} (DJL's default device when null). */
  public static TrainBenchResult run(TrainBenchOptions o, ai.djl.Device device) {
    return run(o, device, null);
  }

  /**
   * As {@link #run(TrainBenchOptions, ai.djl.Device)}, and when {@code profileTrace} is not null, libtorch's profiler
   * records the timed steps (not the warm-up) into that file, a Chrome trace with each operator's shapes.
   */
  public static TrainBenchResult run(TrainBenchOptions o, ai.djl.Device device, Path profileTrace) {
    Path scratch = null;
    try (NDManager manager = device == null ? NDManager.newBaseManager() : NDManager.newBaseManager(device)) {
      ModelConfig config = o.shape().config(Math.max(4096, o.seq()));
      if (o.frozen() == TrainBenchOptions.Frozen.BF16) {
        scratch = Files.createTempDirectory("zephyr-bench-bf16");
      }
      try (BenchModels models = BenchModels.build(o, config, manager, scratch)) {
        return measure(o, config, models, manager, profileTrace);
      }
    } catch (IOException e) {
      throw new CheckpointException("cannot create the benchmark's temporary checkpoint directory", e);
    } finally {
      deleteTree(scratch);
    }
  }

  private static TrainBenchResult measure(TrainBenchOptions o, ModelConfig config, BenchModels models,
      NDManager manager, Path profileTrace) {
    SplittableRandom rng = new SplittableRandom(o.seed());
    int totalSteps = o.steps() + 1;
    Path out;
    try {
      out = Files.createTempDirectory("zephyr-bench-train");
    } catch (IOException e) {
      throw new CheckpointException("cannot create the benchmark's output directory", e);
    }
    try {
      TrainingArguments args = TrainingArguments.builder(out).learningRate(1e-4)
          .lrSchedulerType(SchedulerType.CONSTANT).weightDecay(0).maxGradNorm(1.0)
          .perDeviceTrainBatchSize(o.batch()).maxSteps(totalSteps).saveSteps(0).loggingSteps(1_000_000)
          .disableTqdm(true).seed(o.seed()).gradientCheckpointing(o.gradientCheckpointing()).build();
      long[] stepEnds = new long[totalSteps + 1];
      long adapterParams = models.adapter == null ? 0 : models.adapter.parameterCount();
      double flopsPerToken = TrainFlops.trainedToken(config, adapterParams, o.seq());
      int perForward = 0;
      long setupPeak;
      if (o.mode() == TrainBenchOptions.Mode.SFT) {
        List<SftSequence> rows = new ArrayList<>();
        for (int i = 0; i < o.batch() * totalSteps; i++) {
          int[] mask = new int[o.seq()];
          Arrays.fill(mask, 1);
          rows.add(SftSequence.of(randomIds(rng, config.vocabSize(), o.seq()), mask));
        }
        setupPeak = PeakRss.settleAndReset();
        train(args, models.withDropout(new SftTask(models.policy, o.chunk()), o.seed()), rows, models, stepEnds,
            profileTrace);
      } else {
        List<DpoExample> pairs = new ArrayList<>();
        int v = config.vocabSize();
        for (int i = 0; i < o.batch() * totalSteps; i++) {
          // one prompt token, then seq-1 completion tokens: every next-token position counts, as in the reference
          pairs.add(DpoExample.of(randomIds(rng, v, 1), randomIds(rng, v, o.seq() - 1),
              randomIds(rng, v, o.seq() - 1)));
        }
        LlamaModel liveReference = null;
        if (o.cachedRef()) {
          pairs = ReferenceLogps.compute(models.referenceSource(), pairs, o.batch());
        } else {
          liveReference = models.referenceSource();
          flopsPerToken += TrainFlops.referenceToken(config, o.seq());
        }
        DpoTask task = new DpoTask(models.policy, liveReference, DpoLoss.sigmoid(0.1), o.chunk(),
            o.pairsPerForward());
        perForward = task.pairsPerForward(o.batch());
        setupPeak = PeakRss.settleAndReset();
        train(args, models.withDropout(task, o.seed()), pairs, models, stepEnds, profileTrace);
      }
      double stepS = (stepEnds[totalSteps] - stepEnds[1]) / 1e9 / o.steps();
      long peakKb = PeakRss.kilobytes();
      double gemm = GemmPeak.gflops(manager);
      return new TrainBenchResult(impl(), o, models.params(), adapterParams > 0 ? adapterParams
          : models.policy.parameterCount(), models.params16Bit(), perForward, stepS, flopsPerToken, gemm,
          Math.round(peakKb / 1024.0), setupPeak < 0 ? -1 : Math.round(setupPeak / 1024.0),
          JniUtils.getNumThreads());
    } finally {
      deleteTree(out);
    }
  }

  private static <E, B> void train(TrainingArguments args, TrainingTask<E, B> task, List<E> rows, BenchModels models,
      long[] stepEnds, Path profileTrace) {
    try (Trainer<E, B> t = new Trainer<>(args, task, rows, models.trainable())) {
      t.onStepEnd(s -> {
        stepEnds[(int) (long) s] = System.nanoTime();
        if (s == 1 && profileTrace != null) {
          JniUtils.startProfile(false, true, false);
        }
      });
      stepEnds[0] = System.nanoTime();
      t.train();
    } finally {
      if (profileTrace != null) {
        JniUtils.stopProfile(profileTrace.toString());
      }
    }
  }

  /** The {@code impl} field of the benchmark JSON: DJL and libtorch versions. */
  public static String impl() {
    return "zephyr-djl-" + Engine.getDjlVersion() + "-libtorch-" + Engine.getInstance().getVersion();
  }

  static int[] randomIds(SplittableRandom rng, int vocab, int n) {
    int[] ids = new int[n];
    for (int i = 0; i < n; i++) {
      ids[i] = rng.nextInt(vocab);
    }
    return ids;
  }

  private static void deleteTree(Path dir) {
    if (dir == null) {
      return;
    }
    try (Stream<Path> s = Files.walk(dir)) {
      s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // a temporary directory left behind is not worth failing a measurement for
    }
  }
}
