package dev.zephyr.train.rl;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import dev.zephyr.core.CheckpointException;
import dev.zephyr.core.ZephyrException;
import dev.zephyr.core.chat.SamplingParams;
import dev.zephyr.core.generate.GenerationRequest;
import dev.zephyr.core.generate.GenerationResult;
import dev.zephyr.core.generate.Generator;
import dev.zephyr.core.model.LlamaModel;
import dev.zephyr.core.progress.Progress;
import dev.zephyr.train.loop.CheckpointConfig;
import dev.zephyr.train.loop.CheckpointStore;
import dev.zephyr.train.loop.CheckpointWeights;
import dev.zephyr.train.loop.DecoderGraph;
import dev.zephyr.train.loop.MetricsLog;
import dev.zephyr.train.loop.Trainer;
import dev.zephyr.train.loop.TrainerState;
import dev.zephyr.train.loop.TrainingArguments;
import dev.zephyr.train.optim.GradientClipping;
import dev.zephyr.train.optim.LrSchedule;
import dev.zephyr.train.optim.Optimizer;
import dev.zephyr.train.optim.Optimizers;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The loop PPO and RLOO share, TRL's on-policy trainers: each update (a {@code step}) takes the next batch of prompts,
 * samples responses from the current policy, scores them, and runs {@code num_ppo_epochs} passes over the batch in
 * {@code num_mini_batches} shuffled mini-batches, one optimizer step each (micro-batches of
 * {@code per_device_train_batch_size}, each loss divided by {@code gradient_accumulation_steps}, as accelerate
 * accumulates). The learning-rate schedule advances once per update; {@code max_grad_norm} clips each optimizer step.
 *
 * <p>Data order: prompts are shuffled per epoch from (seed, epoch) and cut into batches, dropping a last partial one
 * (TRL's data loader has {@code drop_last}). The number of updates is {@code max_steps} when set, else
 * {@code ceil(total_episodes / batch_size)}. Sampling seeds and mini-batch permutations come from (seed, step), so a
 * run resumed from a checkpoint (saved every {@code save_steps} updates: the trainable weights, the optimizer state and
 * the position) repeats the uninterrupted run exactly. {@code metrics.jsonl} gets one line per update, as TRL logs;
 * {@code samples.jsonl} gets the sample generations of {@code num_sample_generations} ({@link SampleGenerations}).
 *
 * <p>With LoRA the policy is a view of the base with adapters and the reference is the same base without them (no
 * second copy, as TRL uses a PEFT policy with its adapters disabled); only the trainable weights given here move.
 * Dropout is never switched on: TRL's on-policy trainers disable dropout in every model, LoRA's included, so that
 * the ratio of new to old log-probs starts at exactly 1.
 */
abstract class OnPolicyTrainer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(OnPolicyTrainer.class);

  protected final TrainingArguments args;
  protected final OnPolicyConfig cfg;
  protected final LlamaModel policy;
  protected final LlamaModel reference;
  protected final RewardFunction reward;
  protected final Map<String, NDArray> params;
  /** Where step arrays are created: the trainable weights' manager (a LoRA view of the policy owns none). */
  protected final NDManager manager;
  private final List<TrainableWeights> weightGroups;
  private final List<int[]> prompts;
  private final NDManager stateManager;
  private final Optimizer optimizer;
  private final LrSchedule schedule;
  private final CheckpointStore checkpoints;
  private final int promptsPerStep;
  private final int batchSize;
  private final long stepsPerEpoch;
  private final long totalSteps;
  private final Map<String, Object> taskKeys;
  private final SampleGenerations sampleGenerations;
  private Progress progress = Progress.NONE;
  private Function<int[], Object> text = ids -> ids;

  /**
   * @param trainable the parameters the optimizer updates, by unique name across the groups, each group with its
   *     checkpoint layout (the first group's file also holds nothing else; the optimizer state covers all)
   * @param batchSize completions per update
   * @param promptsPerStep prompts per update ({@code batchSize}, or {@code batchSize / rloo_k})
   */
  OnPolicyTrainer(TrainingArguments args, OnPolicyConfig cfg, LlamaModel policy, LlamaModel reference,
      RewardFunction reward, List<int[]> prompts, List<TrainableWeights> trainable, int batchSize,
      int promptsPerStep, Map<String, Object> taskKeys) {
    this.args = args;
    this.cfg = cfg;
    this.policy = policy;
    this.reference = reference;
    this.reward = reward;
    this.prompts = List.copyOf(prompts);
    this.weightGroups = List.copyOf(trainable);
    this.params = new LinkedHashMap<>();
    for (TrainableWeights g : weightGroups) {
      g.parameters().forEach((name, array) -> {
        if (params.put(name, array) != null) {
          throw new IllegalArgumentException("trainable parameter " + name + " is in two groups");
        }
      });
    }
    this.batchSize = batchSize;
    this.promptsPerStep = promptsPerStep;
    this.taskKeys = new LinkedHashMap<>(taskKeys);
    if (policy == reference) {
      throw new IllegalArgumentException("the reference must be a frozen copy, not the trained policy itself");
    }
    if (this.prompts.size() < promptsPerStep) {
      throw new ZephyrException("the dataset has " + this.prompts.size() + " prompts, fewer than the " + promptsPerStep
          + " of one update (per_device_train_batch_size * gradient_accumulation_steps * num_mini_batches"
          + (promptsPerStep < batchSize ? " / rloo_k" : "") + ")");
    }
    this.stepsPerEpoch = this.prompts.size() / promptsPerStep;
    long episodes = cfg.totalEpisodes() != null ? cfg.totalEpisodes()
        : (long) (args.numTrainEpochs() * this.prompts.size());
    this.totalSteps = args.maxSteps() > 0 ? args.maxSteps() : Math.max(1, (episodes + batchSize - 1) / batchSize);
    long warmup = LrSchedule.warmupSteps(totalSteps, args.warmupSteps(), args.warmupRatio());
    this.schedule = new LrSchedule(args.lrSchedulerType(), args.learningRate(), warmup, totalSteps);
    this.manager = params.values().iterator().next().getManager();
    this.stateManager = manager.newSubManager();
    this.optimizer = Optimizers.create(args.optim(), params, stateManager, args.weightDecay(), args.adamBeta1(),
        args.adamBeta2(), args.adamEpsilon());
    this.sampleGenerations = new SampleGenerations(cfg.numSampleGenerations(), totalSteps);
    for (NDArray p : params.values()) {
      p.setRequiresGradient(true);
    }
    this.checkpoints = new CheckpointStore(args.outputDir());
  }

  /** Where the updates are reported (task {@code train}, unit updates); default none. */
  public OnPolicyTrainer progress(Progress sink) {
    this.progress = sink;
    return this;
  }

  /** Decodes token ids for {@code samples.jsonl}; without it the samples hold token ids. */
  public OnPolicyTrainer decodeWith(Function<int[], String> decoder) {
    this.text = decoder::apply;
    return this;
  }

  public long totalSteps() {
    return totalSteps;
  }

  /** One update on {@code queries} (the step's prompts, each repeated as the algorithm needs): its metrics. */
  protected abstract Map<String, Double> update(long step, List<int[]> queries, double lr);

  /** The step's rows: the prompts of this update, in the layout the algorithm samples them. */
  protected abstract List<int[]> rows(List<int[]> stepPrompts);

  /**
   * Runs (or resumes) to the last update. The result's {@code trainLoss} is the mean {@code loss/policy_avg} of the
   * updates this call ran; {@code lastLogged} holds every metric of the last update.
   */
  public Trainer.TrainResult train() {
    long start = 0;
    long tokens = 0;
    Optional<Path> latest = checkpoints.latest();
    if (latest.isPresent()) {
      TrainerState st = restore(latest.get());
      start = st.globalStep();
      tokens = st.numTokens();
      LOG.info("resuming from {} (update {} of {})", latest.get(), start, totalSteps);
    }
    Path metricsFile = args.outputDir().resolve("metrics.jsonl");
    long t0 = System.nanoTime();
    double lossTotal = 0;
    Progress sink = args.disableTqdm() ? Progress.NONE : progress;
    try (MetricsLog metrics = new MetricsLog(metricsFile);
        MetricsLog samples = new MetricsLog(args.outputDir().resolve(SampleGenerations.FILE));
        Progress.Task bar = sink.start("train", "updates", totalSteps, start)) {
      metrics.truncateAfter(start);
      samples.truncateAfter(start);
      for (long step = start; step < totalSteps; step++) {
        long u0 = System.nanoTime();
        double lr = schedule.lr(step);
        List<int[]> queries = rows(promptsOf(step));
        Map<String, Double> m = update(step, queries, lr);
        long done = step + 1;
        Map<String, Object> rec = new LinkedHashMap<>();
        rec.put("eps", batchSize / ((System.nanoTime() - u0) / 1e9));
        rec.putAll(m);
        rec.put("lr", lr);
        rec.put("episode", done * batchSize);
        rec.put("epoch", (double) done / stepsPerEpoch);
        rec.put("step", done);
        metrics.append(rec);
        LOG.info("{}", rec);
        lossTotal += m.getOrDefault("loss/policy_avg", 0.0);
        tokens += queries.stream().mapToLong(q -> q.length).sum();
        if (sampleGenerations.dueAfter(done)) {
          writeSamples(done, samples);
        }
        if (args.saveSteps() > 0 && done % args.saveSteps() == 0) {
          save(done, tokens);
        }
        bar.advance(1, batchSize);
      }
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    long ran = totalSteps - start;
    return new Trainer.TrainResult(totalSteps, ran == 0 ? Double.NaN : lossTotal / ran, tokens, seconds, start,
        MetricsLog.lastValues(metricsFile));
  }

  /** Greedy answers of the policy to the first {@code per_device_eval_batch_size} prompts, scored, into the log. */
  private void writeSamples(long done, MetricsLog samples) {
    List<int[]> queries = prompts.subList(0, Math.min(prompts.size(), args.perDeviceEvalBatchSize()));
    List<int[]> responses = generate(queries, seed -> SamplingParams.greedy(cfg.responseLength()));
    double[] scores = reward.score(queries, responses);
    for (Map<String, Object> line : SampleGenerations.lines(done, queries, responses, scores, text)) {
      samples.append(line);
    }
  }

  /** The prompts of update {@code step}: a slice of its epoch's shuffled order. */
  List<int[]> promptsOf(long step) {
    long epoch = step / stepsPerEpoch;
    int first = (int) ((step % stepsPerEpoch) * promptsPerStep);
    int[] order = shuffled(prompts.size(), new SplittableRandom(args.seed() * 0x9E3779B97F4A7C15L + epoch));
    List<int[]> out = new ArrayList<>(promptsPerStep);
    for (int i = first; i < first + promptsPerStep; i++) {
      out.add(prompts.get(order[i]));
    }
    return out;
  }

  /** A Fisher-Yates permutation of {@code 0..n-1}. */
  static int[] shuffled(int n, SplittableRandom r) {
    int[] o = new int[n];
    for (int i = 0; i < n; i++) {
      o[i] = i;
    }
    for (int i = n - 1; i > 0; i--) {
      int j = r.nextInt(i + 1);
      int t = o[i];
      o[i] = o[j];
      o[j] = t;
    }
    return o;
  }

  /** The generator of update {@code step} for {@code purpose} (0: sampling, 1 + epoch: mini-batch order). */
  protected SplittableRandom random(long step, long purpose) {
    return new SplittableRandom(args.seed() * 0xBF58476D1CE4E5B9L + step * 0x94D049BB133111EBL + purpose);
  }

  /**
   * Responses sampled from the policy at {@code temperature}, at most {@code response_length} tokens, each ending at
   * the first EOS or {@code stop_token_id} (kept, as TRL keeps it before padding the rest).
   */
  protected List<int[]> sample(long step, List<int[]> queries) {
    SplittableRandom seeds = random(step, 0);
    return generate(queries, seed -> SamplingParams.builder().temperature(cfg.temperature()).topP(1.0).topK(0)
        .maxTokens(cfg.responseLength()).seed(seeds.nextLong()).build());
  }

  /** The policy's responses to {@code queries}, without gradients, each cut at the stop token when there is one. */
  private List<int[]> generate(List<int[]> queries, Function<Integer, SamplingParams> params) {
    List<Integer> stop = cfg.stopTokenId() == null ? List.of() : List.of(cfg.stopTokenId());
    List<GenerationRequest> requests = new ArrayList<>(queries.size());
    for (int i = 0; i < queries.size(); i++) {
      requests.add(new GenerationRequest(queries.get(i), params.apply(i).toBuilder().stopTokenIds(stop).build()));
    }
    boolean grad = JniUtils.isGradMode();
    JniUtils.setGradMode(false);
    try (NDManager m = manager.newSubManager()) {
      List<GenerationResult> results = new Generator(policy, null, m, cfg.localRolloutForwardBatchSize())
          .generate(requests);
      List<int[]> out = new ArrayList<>(results.size());
      for (GenerationResult r : results) {
        out.add(r.first().tokenIds());
      }
      return out;
    } finally {
      JniUtils.setGradMode(grad);
    }
  }

  /**
   * A sampled batch: the responses, the width of its per-token arrays (the longest response), the per-token log-probs
   * of the policy that sampled it and of the reference, and the scores.
   */
  protected record Sampled(List<int[]> responses, int width, double[][] logprobs, double[][] refLogprobs,
      double[] scores) {}

  /** Samples responses for {@code queries}, then reads their log-probs and scores, all without gradients. */
  protected Sampled rollout(long step, List<int[]> queries) {
    List<int[]> responses = sample(step, queries);
    int width = width(responses);
    return new Sampled(responses, width, logprobs(policy, queries, responses, width),
        logprobs(reference, queries, responses, width), scores(queries, responses));
  }

  /** The statistics of one micro-batch's loss and its mean probability ratio. */
  protected record MicroResult(Map<String, Double> stats, double ratio) {}

  /** One micro-batch: computes its loss on {@code rows} and back-propagates it into {@code gc}. */
  @FunctionalInterface
  protected interface MicroStep {
    MicroResult run(int[] rows, GradientCollector gc);
  }

  /**
   * {@code num_ppo_epochs} passes over the {@code n} rows of the update, each in a fresh order from (seed, step,
   * epoch), cut into {@code num_mini_batches} mini-batches of micro-batches; one optimizer step per mini-batch.
   * Returns the statistics of every micro-batch.
   */
  protected UpdateStats optimisationPasses(long step, int n, double lr, MicroStep micro) {
    UpdateStats stats = new UpdateStats();
    int mini = n / cfg.numMiniBatches();
    int size = args.perDeviceTrainBatchSize();
    for (int epoch = 0; epoch < cfg.numPpoEpochs(); epoch++) {
      int[] order = shuffled(n, random(step, 1 + epoch));
      for (int start = 0; start < n; start += mini) {
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
          for (int from = start; from < start + mini; from += size) {
            MicroResult r = micro.run(java.util.Arrays.copyOfRange(order, from, Math.min(start + mini, from + size)),
                gc);
            stats.add(r.stats(), r.ratio());
          }
        }
        optimizerStep(lr);
      }
    }
    return stats;
  }

  /** The rows {@code rows} of {@code xs}, in that order. */
  protected static List<int[]> pick(List<int[]> xs, int[] rows) {
    List<int[]> out = new ArrayList<>(rows.length);
    for (int i : rows) {
      out.add(xs.get(i));
    }
    return out;
  }

  /** The longest response: the width of the step's per-token arrays. */
  protected static int width(List<int[]> responses) {
    return responses.stream().mapToInt(r -> r.length).max().orElse(1);
  }

  /** Per-token log-probs {@code [B][width]} of the responses under {@code model}, without gradients, in chunks. */
  protected double[][] logprobs(LlamaModel model, List<int[]> queries, List<int[]> responses, int width) {
    double[][] out = new double[queries.size()][];
    noGradChunks(queries.size(), (from, to) -> {
      ResponseBatch b = new ResponseBatch(queries.subList(from, to), responses.subList(from, to), width);
      DecoderGraph g = DecoderGraph.forward(model, b.rows(), false);
      copyRows(PolicyOutputs.of(model, g, b, cfg.temperature()).logprobs(), out, from, width);
    });
    return out;
  }

  /** Runs {@code body(from, to)} over chunks of {@code local_rollout_forward_batch_size} rows, grad off. */
  protected void noGradChunks(int n, ChunkBody body) {
    boolean grad = JniUtils.isGradMode();
    JniUtils.setGradMode(false);
    try {
      for (int from = 0; from < n; from += cfg.localRolloutForwardBatchSize()) {
        int to = Math.min(n, from + cfg.localRolloutForwardBatchSize());
        try (NDScope scope = new NDScope()) {
          scope.suppressNotUsedWarning();
          body.run(from, to);
        }
      }
    } finally {
      JniUtils.setGradMode(grad);
    }
  }

  /** A chunk of rows {@code [from, to)}. */
  @FunctionalInterface
  protected interface ChunkBody {
    void run(int from, int to);
  }

  protected static void copyRows(NDArray values, double[][] out, int from, int width) {
    float[] v = values.toFloatArray();
    for (int r = 0; r < v.length / width; r++) {
      double[] row = new double[width];
      for (int t = 0; t < width; t++) {
        row[t] = v[r * width + t];
      }
      out[from + r] = row;
    }
  }

  /**
   * The reward function's scores, less {@code missing_eos_penalty} for responses without an EOS token (TRL checks the
   * tokenizer's {@code eos_token_id}; here any EOS id of the policy's config).
   */
  protected double[] scores(List<int[]> queries, List<int[]> responses) {
    double[] s = reward.score(queries, responses);
    if (s.length != queries.size()) {
      throw new ZephyrException("the reward function returned " + s.length + " scores for " + queries.size()
          + " responses");
    }
    if (cfg.missingEosPenalty() != null) {
      for (int b = 0; b < s.length; b++) {
        if (eosCount(responses.get(b)) == 0) {
          s[b] -= cfg.missingEosPenalty();
        }
      }
    }
    return s;
  }

  protected long eosCount(int[] response) {
    List<Integer> eos = policy.config().eosTokenIds();
    long n = 0;
    for (int t : response) {
      n += eos.contains(t) ? 1 : 0;
    }
    return n;
  }

  /** Clips the accumulated gradient ({@code max_grad_norm}), updates the weights, clears the gradients. */
  protected void optimizerStep(double lr) {
    try (NDScope scope = new NDScope()) {
      scope.suppressNotUsedWarning();
      double norm = GradientClipping.clipGlobalNorm(params.values(), args.maxGradNorm());
      if (!Double.isFinite(norm)) {
        throw new ZephyrException("the gradient norm is " + norm + "; lower learning_rate or check the reward scale");
      }
      optimizer.step(params, lr);
    }
    for (NDArray p : params.values()) {
      if (p.hasGradient()) {
        JniUtils.zeroGrad((PtNDArray) p);
      }
    }
  }

  private void save(long done, long tokens) {
    TrainerState st = new TrainerState(done, (double) done / stepsPerEpoch, totalSteps, prompts.size(),
        stepsPerEpoch, optimizer.stepCount(), done, args.seed(), done / stepsPerEpoch,
        (done % stepsPerEpoch) * promptsPerStep, tokens);
    Map<String, NDArray> state = new LinkedHashMap<>(optimizer.state());
    state.putAll(extraState());
    Path dir = checkpoints.save(st, checkpointConfig(), everyGroup(), params, state);
    checkpoints.prune(args.saveTotalLimit());
    LOG.info("saved checkpoint {}", dir);
  }

  private CheckpointConfig checkpointConfig() {
    Map<String, Object> all = new LinkedHashMap<>(args.resultKeys());
    all.putAll(taskKeys);
    return CheckpointConfig.of(all);
  }

  private TrainerState restore(Path checkpoint) {
    TrainerState st = CheckpointStore.readState(checkpoint);
    if (st.numExamples() != prompts.size() || st.maxSteps() != totalSteps || st.seed() != args.seed()) {
      throw new CheckpointException(checkpoint + " was written by a different run (prompts " + st.numExamples()
          + ", updates " + st.maxSteps() + ", seed " + st.seed() + "; now " + prompts.size() + ", " + totalSteps
          + ", " + args.seed() + "): use another run_dir or delete this one to start over");
    }
    CheckpointStore.readConfig(checkpoint).ifPresent(stored -> {
      List<CheckpointConfig.Difference> changed = stored.differences(checkpointConfig());
      if (!changed.isEmpty() && !args.allowConfigChange()) {
        throw new CheckpointException(checkpoint + " was written with other hyper-parameters: "
            + String.join("; ", changed.stream().map(Object::toString).toList())
            + ". Restore them, use another run_dir, or set allow_config_change: true to continue with the new values");
      }
    });
    Map<String, NDArray> state = new LinkedHashMap<>(optimizer.state());
    state.putAll(extraState());
    TrainableWeights first = weightGroups.get(0);
    CheckpointStore.copyInto(checkpoint, first.format(), first.parameters(), state, optimizer.name().hfName(),
        stateManager);
    for (TrainableWeights g : weightGroups.subList(1, weightGroups.size())) {
      CheckpointStore.copyInto(checkpoint, g.format(), g.parameters(), Map.of(), optimizer.name().hfName(),
          stateManager);
    }
    optimizer.restoreStepCount(st.optimizerStep());
    afterRestore();
    return st;
  }

  /** Writes each group of trainable weights in its own layout into the checkpoint being assembled. */
  private CheckpointWeights everyGroup() {
    CheckpointWeights first = weightGroups.get(0).format();
    return new CheckpointWeights() {
      @Override
      public void write(Path checkpointDir, Map<String, NDArray> all) {
        for (TrainableWeights g : weightGroups) {
          g.format().write(checkpointDir, g.parameters());
        }
      }

      @Override
      public Path file(Path checkpoint) {
        return first.file(checkpoint);
      }

      @Override
      public String storedName(String parameter) {
        return first.storedName(parameter);
      }
    };
  }

  /**
   * Algorithm state checkpointed beside the optimizer's (PPO's adaptive KL coefficient), as live arrays holding the
   * current values when called; restoring copies the saved values into them and then calls {@link #afterRestore}.
   */
  protected Map<String, NDArray> extraState() {
    return Map.of();
  }

  /** Reads back what {@link #extraState} arrays received from a checkpoint. */
  protected void afterRestore() {}

  /** Releases the optimizer state. */
  @Override
  public void close() {
    stateManager.close();
  }
}
