package dev.zephyr.train.loop;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import dev.zephyr.core.CheckpointException;
import dev.zephyr.core.ZephyrException;
import dev.zephyr.core.progress.ConsoleProgress;
import dev.zephyr.core.progress.Progress;
import dev.zephyr.train.optim.GradientClipping;
import dev.zephyr.train.optim.LrSchedule;
import dev.zephyr.train.optim.Optimizer;
import dev.zephyr.train.optim.Optimizers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one training loop behind SFT, DPO and reward training: shuffled micro-batches, gradient accumulation with
 * token-correct normalisation, global-norm clipping, the {@code optim} optimizer (AdamW by default), a transformers
 * learning-rate schedule, JSONL metrics,
 * a progress bar, atomic checkpoints and resume.
 *
 * <p>Progress: a task {@code train} counting steps, with token rate and loss, reported to {@link #progress(Progress)}
 * (by default a bar on the error stream, as transformers draws one; none with {@code disable_tqdm}).
 *
 * <p>Memory: the parameters belong to the caller's manager; the optimizer moments to a sub-manager that
 * {@link #close()} releases. Each step runs inside its own {@link NDScope}, so everything a step allocates is freed
 * when it ends; clipping and the optimizer free their temporaries parameter by parameter (slice by slice for large
 * ones), so the step peaks at the parameters, their gradients and the optimizer state plus a few slices. Resuming
 * copies a checkpoint into the live arrays in place, a batch of tensors at a time. Determinism: the data order is a function of (seed, epoch) and per-step generators of (seed, step), so
 * a run resumed from a checkpoint performs exactly the same operations as an uninterrupted one.
 *
 * <p>An existing checkpoint in {@code output_dir} is resumed automatically (the newest complete one), but only when it
 * continues the same run: the number of examples, the total step count and the seed must match, and so must the
 * result-shaping hyper-parameters each checkpoint stores ({@link TrainingArguments#resultKeys()} plus the caller's
 * {@link #taskConfig task keys}); a difference fails with a {@link CheckpointException} naming every differing key,
 * unless {@code allow_config_change} is set, which continues with the new values after a warning.
 *
 * @param <E> example type
 * @param <B> micro-batch type
 */
public final class Trainer<E, B> implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Trainer.class);

  private final TrainingArguments args;
  private final TrainingTask<E, B> task;
  private final List<E> examples;
  private final Map<String, NDArray> params;
  private final NDManager stateManager;
  private final Optimizer optimizer;
  private final CheckpointStore checkpoints;
  private final long microBatchesPerEpoch;
  private final long stepsPerEpoch;
  private final long totalSteps;
  private final LrSchedule schedule;
  private final List<Consumer<Map<String, Object>>> logListeners = new ArrayList<>();
  private final List<Consumer<Long>> stepListeners = new ArrayList<>();
  private Progress progress;
  private Path lastCheckpoint;
  private Map<String, Object> taskConfig = Map.of();
  private List<E> evalExamples = List.of();
  private CheckpointWeights weightsFormat = CheckpointWeights.MODEL;

  /**
   * @param params trainable parameters by HF name (float32), updated in place; they get {@code requiresGradient}
   */
  public Trainer(TrainingArguments args, TrainingTask<E, B> task, List<E> examples, Map<String, NDArray> params) {
    this.args = Objects.requireNonNull(args);
    this.task = Objects.requireNonNull(task);
    this.examples = List.copyOf(examples);
    this.params = params;
    if (this.examples.isEmpty()) {
      throw new ZephyrException("the training set is empty");
    }
    if (params.isEmpty()) {
      throw new ZephyrException("no trainable parameters");
    }
    requireOnDevice(args, params);
    this.microBatchesPerEpoch = ceilDiv(this.examples.size(), args.perDeviceTrainBatchSize());
    this.stepsPerEpoch = ceilDiv(microBatchesPerEpoch, args.gradientAccumulationSteps());
    this.totalSteps = args.maxSteps() > 0 ? args.maxSteps()
        : (long) Math.ceil(args.numTrainEpochs() * stepsPerEpoch);
    long warmup = LrSchedule.warmupSteps(totalSteps, args.warmupSteps(), args.warmupRatio());
    this.schedule = new LrSchedule(args.lrSchedulerType(), args.learningRate(), warmup, totalSteps);
    this.stateManager = params.values().iterator().next().getManager().newSubManager();
    this.optimizer = Optimizers.create(args.optim(), params, stateManager, args.weightDecay(), args.adamBeta1(),
        args.adamBeta2(), args.adamEpsilon());
    for (NDArray p : params.values()) {
      p.setRequiresGradient(true);
    }
    this.checkpoints = new CheckpointStore(args.outputDir());
  }

  /** How checkpoints store the trainable parameters (default {@link CheckpointWeights#MODEL}). */
  public Trainer<E, B> checkpointWeights(CheckpointWeights format) {
    this.weightsFormat = Objects.requireNonNull(format, "format");
    return this;
  }

  /**
   * With {@code device} set, every trainable parameter must already live there (the optimizer state and every step's
   * arrays follow the parameters' managers), so a model loaded elsewhere is refused instead of trained across devices.
   */
  private static void requireOnDevice(TrainingArguments args, Map<String, NDArray> params) {
    if (args.device() == null) {
      return;
    }
    ai.djl.Device device = args.deviceOrDefault();
    for (Map.Entry<String, NDArray> e : params.entrySet()) {
      if (!e.getValue().getDevice().equals(device)) {
        throw dev.zephyr.core.InvalidInputException.field(TrainingArguments.SOURCE, "device", "parameter '"
            + e.getKey() + "' is on " + dev.zephyr.core.device.Devices.name(e.getValue().getDevice()) + ", not "
            + args.device() + "; load the model with NDManager.newBaseManager(device)");
      }
    }
  }

  /** Receives every metrics record as it is logged. */
  public Trainer<E, B> onLog(Consumer<Map<String, Object>> listener) {
    logListeners.add(listener);
    return this;
  }

  /** Called with the completed step count after every step (and after its checkpoint, if any). */
  public Trainer<E, B> onStepEnd(Consumer<Long> listener) {
    stepListeners.add(listener);
    return this;
  }

  /**
   * The examples evaluated as {@code eval_strategy} says (every {@code eval_steps} steps or at each epoch's end, and
   * when training ends); an {@code eval_strategy} of {@code no} leaves them unused, with a warning.
   */
  public Trainer<E, B> evalDataset(List<E> examples) {
    this.evalExamples = List.copyOf(examples);
    return this;
  }

  /** Where the steps are reported (default {@link ConsoleProgress#stderr()}); {@code disable_tqdm} silences it. */
  public Trainer<E, B> progress(Progress sink) {
    this.progress = Objects.requireNonNull(sink, "progress");
    return this;
  }

  /**
   * The task's own result-shaping hyper-parameters under their recipe names (DPO's {@code beta}, {@code loss_type},
   * SFT's {@code max_length}, {@code packing}...), stored with each checkpoint beside the training arguments' and
   * compared on resume. Keys that only change how the work is done (memory, logging) do not belong here.
   */
  public Trainer<E, B> taskConfig(Map<String, ?> keys) {
    this.taskConfig = new LinkedHashMap<>(keys);
    return this;
  }

  /** What each checkpoint of this run stores: the training arguments' result keys and the task keys. */
  public CheckpointConfig checkpointConfig() {
    Map<String, Object> all = new LinkedHashMap<>(args.resultKeys());
    taskConfig.forEach((k, v) -> {
      if (all.containsKey(k)) {
        throw new IllegalArgumentException("task key " + k + " is already a training argument");
      }
      all.put(k, v);
    });
    return CheckpointConfig.of(all);
  }

  public long totalSteps() {
    return totalSteps;
  }

  public long stepsPerEpoch() {
    return stepsPerEpoch;
  }

  public LrSchedule schedule() {
    return schedule;
  }

  public Optimizer optimizer() {
    return optimizer;
  }

  /**
   * Outcome of {@link #train()}.
   *
   * @param globalStep the last step
   * @param trainLoss mean loss over the steps this call ran (NaN when it ran none)
   * @param numTokens tokens seen over the whole run, earlier attempts included
   * @param seconds wall time of this call
   * @param resumedFrom the checkpoint step this call started from (0 for a fresh run)
   * @param lastLogged the last logged value of every metric in {@code metrics.jsonl} (loss, rewards/accuracies...),
   *     over the whole run, so a run resumed at its end still reports them
   */
  public record TrainResult(long globalStep, double trainLoss, long numTokens, double seconds, long resumedFrom,
      Map<String, Double> lastLogged) {
    public TrainResult {
      lastLogged = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(lastLogged));
    }
  }

  /** Runs (or resumes) training to the last step. */
  public TrainResult train() {
    long start = 0;
    long numTokens = 0;
    Optional<Path> latest = checkpoints.latest();
    if (latest.isPresent()) {
      TrainerState st = restore(latest.get());
      start = st.globalStep();
      numTokens = st.numTokens();
      lastCheckpoint = latest.get();
      LOG.info("resuming from {} (step {} of {})", latest.get(), start, totalSteps);
    }
    LOG.info("training: {} examples, {} steps ({} per epoch), batch {} x {} accumulation, lr {} {} warmup {}",
        examples.size(), totalSteps, stepsPerEpoch, args.perDeviceTrainBatchSize(),
        args.gradientAccumulationSteps(), args.learningRate(), args.lrSchedulerType().hfName(),
        schedule.warmupSteps());
    Path metricsFile = args.outputDir().resolve("metrics.jsonl");
    long t0 = System.nanoTime();
    double lossTotal = 0;
    long lossSteps = 0;
    Progress sink = args.disableTqdm() ? Progress.NONE : progress != null ? progress : ConsoleProgress.stderr();
    try (MetricsLog metrics = new MetricsLog(metricsFile);
        Progress.Task bar = sink.start("train", "steps", totalSteps, start)) {
      metrics.truncateAfter(start);
      Window window = new Window();
      if (!evalExamples.isEmpty() && args.evalStrategy() == IntervalStrategy.NO) {
        LOG.warn("{} evaluation examples are not evaluated: eval_strategy is no", evalExamples.size());
      }
      for (long step = start; step < totalSteps; step++) {
        StepOutcome out = step(step);
        numTokens += out.tokens;
        lossTotal += out.loss;
        lossSteps++;
        window.add(out);
        long done = step + 1;
        if (done % args.loggingSteps() == 0 || done == totalSteps) {
          Map<String, Object> rec = window.record(done, epochAt(done), numTokens);
          metrics.append(rec);
          logListeners.forEach(l -> l.accept(rec));
          LOG.info("{}", rec);
          window = new Window();
        }
        if (evaluatesAt(done)) {
          // before the checkpoint, so a run resumed from it has this evaluation in metrics.jsonl
          Map<String, Object> rec = evaluate(done, sink);
          metrics.append(rec);
          logListeners.forEach(l -> l.accept(rec));
          LOG.info("{}", rec);
        }
        if (args.saveSteps() > 0 && done % args.saveSteps() == 0) {
          lastCheckpoint = save(done, numTokens);
        }
        bar.status(String.format(Locale.ROOT, "loss %.4f", out.loss));
        bar.advance(1, out.tokens);
        stepListeners.forEach(l -> l.accept(done));
      }
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    return new TrainResult(totalSteps, lossSteps == 0 ? Double.NaN : lossTotal / lossSteps, numTokens, seconds,
        latest.map(CheckpointStore::stepOf).orElse(0L), MetricsLog.lastValues(metricsFile));
  }

  private record StepOutcome(double loss, double gradNorm, double lr, long tokens, double seconds,
      Map<String, Double> metrics) {}

  private StepOutcome step(long step) {
    long t0 = System.nanoTime();
    List<B> micro = microBatches(step);
    long units = 0;
    long tokens = 0;
    long[] unitsOf = new long[micro.size()];
    for (int i = 0; i < micro.size(); i++) {
      unitsOf[i] = task.lossUnits(micro.get(i));
      units += unitsOf[i];
      tokens += task.tokens(micro.get(i));
    }
    if (units == 0) {
      throw new ZephyrException("step " + (step + 1) + " has no loss units (every label is masked)");
    }
    double lr = schedule.lr(step);
    Map<String, Double> metrics = new LinkedHashMap<>();
    double loss;
    double gradNorm;
    try (NDScope scope = new NDScope()) {
      scope.suppressNotUsedWarning();
      loss = accumulateGradients(step, micro, unitsOf, units, metrics);
      if (!Double.isFinite(loss)) {
        zeroGradients();
        throw new TrainingDivergedException("loss", loss, step + 1, lastCheckpoint);
      }
      gradNorm = GradientClipping.clipGlobalNorm(params.values(), args.maxGradNorm());
      if (!Double.isFinite(gradNorm)) {
        zeroGradients();
        throw new TrainingDivergedException("grad_norm", gradNorm, step + 1, lastCheckpoint);
      }
      optimizer.step(params, lr);
      zeroGradients();
    }
    // the step's freed small blocks leave the resident size before the next step's activations
    NativeHeap.trimAfter(System.nanoTime() - t0);
    return new StepOutcome(loss, gradNorm, lr, tokens, (System.nanoTime() - t0) / 1e9, metrics);
  }

  /**
   * Forward and backward over the micro-batches of one step; each micro-batch's summed loss is divided by the units of
   * the whole step, so the accumulated gradient is that of the full batch. Returns the step's loss.
   */
  private double accumulateGradients(long step, List<B> micro, long[] unitsOf, long units,
      Map<String, Double> metrics) {
    double loss = 0;
    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
      for (int i = 0; i < micro.size(); i++) {
        TrainingTask.ScaledLoss out = task.lossAndBackward(params, micro.get(i),
            StepContext.of(args.seed(), step, i).withGradientCheckpointing(args.gradientCheckpointing())
                .withNeftune(args.neftuneNoiseAlpha()),
            units, gc);
        loss += out.value();
        double weight = (double) unitsOf[i] / units;
        out.metrics().forEach((k, v) -> metrics.merge(k, v * weight, Double::sum));
      }
    }
    return loss;
  }

  /** Whether an evaluation follows step {@code done}: at the configured cadence, and after the last step. */
  boolean evaluatesAt(long done) {
    if (evalExamples.isEmpty() || args.evalStrategy() == IntervalStrategy.NO) {
      return false;
    }
    if (done == totalSteps) {
      return true;
    }
    return switch (args.evalStrategy()) {
      case STEPS -> done % args.evalInterval(totalSteps) == 0;
      case EPOCH -> done % stepsPerEpoch == 0;
      case NO -> false;
    };
  }

  /**
   * One pass over the evaluation examples in their order, {@code per_device_eval_batch_size} at a time, with autograd
   * off: {@code eval_loss} is the summed loss over the summed loss units (loss tokens, or pairs), so it does not depend
   * on the eval batch size, and each task metric is the mean over the units, with the {@code eval_} prefix, as
   * transformers names them. It reads the parameters only; it neither draws from the training generators nor moves
   * the data order, so a run with evaluations trains bit for bit as one without.
   */
  public Map<String, Object> evaluate(long done, Progress sink) {
    if (evalExamples.isEmpty()) {
      throw new ZephyrException("no evaluation examples to evaluate");
    }
    long t0 = System.nanoTime();
    int bs = args.perDeviceEvalBatchSize();
    int batches = (int) ceilDiv(evalExamples.size(), bs);
    double lossSum = 0;
    long units = 0;
    Map<String, Double> sums = new LinkedHashMap<>();
    boolean grad = JniUtils.isGradMode();
    JniUtils.setGradMode(false);
    try (Progress.Task bar = sink.start("eval", "batches", batches, 0)) {
      for (int i = 0; i < evalExamples.size(); i += bs) {
        B batch = task.collate(evalExamples.subList(i, Math.min(evalExamples.size(), i + bs)));
        long u = task.lossUnits(batch);
        if (u > 0) {
          try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            TrainingTask.LossOutput out = task.evalLoss(params, batch, StepContext.evaluation(done));
            lossSum += out.lossSum().getFloat();
            out.metrics().forEach((k, v) -> sums.merge(k, v * u, Double::sum));
          }
          units += u;
        }
        bar.advance(1, task.tokens(batch));
      }
    } finally {
      JniUtils.setGradMode(grad);
    }
    if (units == 0) {
      throw new ZephyrException("the evaluation set has no loss units (every label is masked)");
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("eval_loss", lossSum / units);
    long unitCount = units;
    sums.forEach((k, v) -> r.put("eval_" + k, v / unitCount));
    r.put("eval_runtime", seconds);
    r.put("eval_samples_per_second", seconds > 0 ? evalExamples.size() / seconds : 0.0);
    r.put("eval_steps_per_second", seconds > 0 ? batches / seconds : 0.0);
    r.put("epoch", epochAt(done));
    r.put("step", done);
    return r;
  }

  /** Test hook: gradients of step {@code step} left on the parameters (call inside an NDScope, then zero them). */
  double gradientsOfStep(long step) {
    List<B> micro = microBatches(step);
    long[] unitsOf = micro.stream().mapToLong(task::lossUnits).toArray();
    return accumulateGradients(step, micro, unitsOf, java.util.Arrays.stream(unitsOf).sum(), new LinkedHashMap<>());
  }

  void zeroGradients() {
    for (NDArray p : params.values()) {
      if (p.hasGradient()) {
        JniUtils.zeroGrad((PtNDArray) p);
      }
    }
  }

  /** The micro-batches of optimizer step {@code step}: a slice of its epoch's shuffled order. */
  List<B> microBatches(long step) {
    long epoch = step / stepsPerEpoch;
    long first = (step % stepsPerEpoch) * args.gradientAccumulationSteps();
    long last = Math.min(first + args.gradientAccumulationSteps(), microBatchesPerEpoch);
    int[] order = order(epoch);
    List<B> out = new ArrayList<>();
    int bs = args.perDeviceTrainBatchSize();
    for (long j = first; j < last; j++) {
      List<E> batch = new ArrayList<>(bs);
      for (long k = j * bs; k < Math.min((j + 1) * bs, order.length); k++) {
        batch.add(examples.get(order[(int) k]));
      }
      out.add(task.collate(batch));
    }
    return out;
  }

  private int[] cachedOrder;
  private long cachedEpoch = -1;

  /** Fisher-Yates shuffle seeded by (seed, epoch). */
  private int[] order(long epoch) {
    if (epoch != cachedEpoch) {
      int n = examples.size();
      int[] o = new int[n];
      for (int i = 0; i < n; i++) {
        o[i] = i;
      }
      SplittableRandom r = new SplittableRandom(args.seed() * 0x9E3779B97F4A7C15L + epoch);
      for (int i = n - 1; i > 0; i--) {
        int j = r.nextInt(i + 1);
        int t = o[i];
        o[i] = o[j];
        o[j] = t;
      }
      cachedOrder = o;
      cachedEpoch = epoch;
    }
    return cachedOrder;
  }

  private double epochAt(long done) {
    return (double) done / stepsPerEpoch;
  }

  private Path save(long done, long numTokens) {
    TrainerState st = new TrainerState(done, epochAt(done), totalSteps, examples.size(), stepsPerEpoch,
        optimizer.stepCount(), done, args.seed(), done / stepsPerEpoch,
        (done % stepsPerEpoch) * args.gradientAccumulationSteps(), numTokens);
    Path dir = checkpoints.save(st, checkpointConfig(), weightsFormat, params, optimizer.state());
    checkpoints.prune(args.saveTotalLimit());
    LOG.info("saved checkpoint {}", dir);
    return dir;
  }

  private TrainerState restore(Path checkpoint) {
    TrainerState st = CheckpointStore.readState(checkpoint);
    requireSameRun(checkpoint, st);
    Optional<CheckpointConfig> stored = CheckpointStore.readConfig(checkpoint);
    if (stored.isEmpty()) {
      LOG.info("{} stores no training config (written before zephyr kept one): resuming without comparing"
          + " hyper-parameters", checkpoint);
    } else {
      List<CheckpointConfig.Difference> changed = stored.get().differences(checkpointConfig());
      String listed = String.join("; ", changed.stream().map(Object::toString).toList());
      if (!changed.isEmpty() && !args.allowConfigChange()) {
        throw new CheckpointException(checkpoint + " was written with other hyper-parameters: " + listed
            + ". Resuming would train the rest of the run with the new values. Restore the checkpoint's values to"
            + " resume, use another run_dir (or delete this one) to start over, or pass --allow-config-change"
            + " (recipe key allow_config_change: true) to continue from the checkpoint with the new values");
      }
      if (!changed.isEmpty()) {
        LOG.warn("resuming {} with changed hyper-parameters (allow_config_change): {}", checkpoint, listed);
      }
    }
    CheckpointStore.copyInto(checkpoint, weightsFormat, params, optimizer.state(), optimizer.name().hfName(),
        stateManager);
    optimizer.restoreStepCount(st.optimizerStep());
    return st;
  }

  /**
   * The checkpoint must continue this run: same examples, total steps and seed, which fix the data order and the
   * schedule's length, so no flag overrides them.
   */
  private void requireSameRun(Path checkpoint, TrainerState st) {
    List<String> differ = new ArrayList<>();
    if (st.numExamples() != examples.size()) {
      differ.add("training examples: checkpoint " + st.numExamples() + ", now " + examples.size());
    }
    if (st.maxSteps() != totalSteps) {
      differ.add("total steps: checkpoint " + st.maxSteps() + ", now " + totalSteps);
    }
    if (st.seed() != args.seed()) {
      differ.add("seed: checkpoint " + st.seed() + ", now " + args.seed());
    }
    if (!differ.isEmpty()) {
      throw new CheckpointException(checkpoint + " was written by a different run (" + String.join("; ", differ)
          + "); the data order and the schedule depend on these, so it cannot be resumed, even with"
          + " allow_config_change. Use another run_dir or delete this one to start over");
    }
  }

  /** Metrics averaged over the steps since the last log line. */
  private final class Window {
    private double loss;
    private int steps;
    private double gradNorm;
    private double lr;
    private long tokens;
    private double seconds;
    private final Map<String, Double> metrics = new LinkedHashMap<>();

    void add(StepOutcome o) {
      loss += o.loss;
      steps++;
      gradNorm = o.gradNorm;
      lr = o.lr;
      tokens += o.tokens;
      seconds += o.seconds;
      o.metrics.forEach((k, v) -> metrics.merge(k, v, Double::sum));
    }

    Map<String, Object> record(long done, double epoch, long numTokens) {
      Map<String, Object> r = new LinkedHashMap<>();
      r.put("loss", loss / steps);
      r.put("grad_norm", gradNorm);
      r.put("learning_rate", lr);
      metrics.forEach((k, v) -> r.put(k, v / steps));
      r.put("num_tokens", numTokens);
      r.put("tokens_per_second", seconds > 0 ? tokens / seconds : 0.0);
      r.put("epoch", epoch);
      r.put("step", done);
      return r;
    }
  }

  /** Releases the optimizer state (the parameters stay with their owner). */
  @Override
  public void close() {
    stateManager.close();
  }

  private static long ceilDiv(long a, long b) {
    return (a + b - 1) / b;
  }
}
