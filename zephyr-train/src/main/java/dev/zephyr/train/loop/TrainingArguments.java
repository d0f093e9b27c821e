package dev.zephyr.train.loop;

import ai.djl.Device;
import dev.zephyr.core.device.Devices;
import dev.zephyr.train.optim.OptimizerName;
import dev.zephyr.train.optim.SchedulerType;
import java.nio.file.Path;
import java.util.Objects;

/**
 * The options of one training run, named after transformers' {@code TrainingArguments} (YAML keys in snake_case:
 * {@code learning_rate}, {@code lr_scheduler_type}, {@code warmup_ratio}, ...). Defaults follow TRL's base config
 * where it overrides transformers ({@code logging_steps = 10}), except {@code gradient_checkpointing}: off here as in
 * transformers, on in the TRL-shaped recipe configs ({@code SftConfig}, {@code DpoConfig}) as in TRL.
 *
 * @param outputDir the trainer's working directory: checkpoints ({@code checkpoint-N/}) and {@code metrics.jsonl};
 *     the recipes' {@code run_dir}, while the finished model is exported to a directory of its own
 * @param learningRate peak learning rate
 * @param lrSchedulerType schedule shape
 * @param warmupRatio warm-up as a fraction of all steps (used when {@code warmupSteps == 0})
 * @param warmupSteps warm-up steps; wins over the ratio when positive
 * @param numTrainEpochs epochs (fractions allowed); ignored when {@code maxSteps > 0}
 * @param maxSteps total optimizer steps, or -1 to derive them from epochs
 * @param perDeviceTrainBatchSize examples per micro-batch
 * @param gradientAccumulationSteps micro-batches per optimizer step
 * @param maxGradNorm global-norm clipping threshold (0 disables clipping)
 * @param weightDecay weight decay (biases and norms excluded): decoupled for AdamW and Adafactor, an L2 term for
 *     RMSprop, as in torch and transformers
 * @param adamBeta1 AdamW beta1
 * @param adamBeta2 AdamW beta2
 * @param adamEpsilon AdamW epsilon
 * @param optim the optimizer, by transformers' {@code optim} name ({@link OptimizerName}; default {@code adamw_torch})
 * @param seed seed of the data order and of every per-step generator
 * @param loggingSteps a metrics line every this many steps
 * @param saveSteps a checkpoint every this many steps (0 = none)
 * @param saveTotalLimit checkpoints kept, oldest deleted first (0 = keep all)
 * @param disableTqdm no progress reports at all (training steps, data preparation, reference log-probs)
 * @param gradientCheckpointing recompute each decoder layer's activations during backward instead of keeping them
 *     (less memory, one more decoder forward per step; see {@link DecoderGraph})
 * @param allowConfigChange {@code allow_config_change} (zephyr's own key): resume from a checkpoint written with other
 *     {@linkplain #resultKeys() result-shaping} hyper-parameters, with a warning naming them, instead of refusing
 * @param evalStrategy {@code eval_strategy}: evaluate on the held-out rows never, every {@code eval_steps} steps or
 *     at every epoch's end; whenever it is not {@code no}, also once when training ends (as the handbook's scripts do
 *     after {@code trainer.train()})
 * @param evalSteps {@code eval_steps}: steps between evaluations with {@code eval_strategy: steps}; a value below 1
 *     is a fraction of the total steps, and 0 (unset) means {@code logging_steps}, as in transformers
 * @param perDeviceEvalBatchSize {@code per_device_eval_batch_size}: examples per evaluation forward
 * @param neftuneNoiseAlpha {@code neftune_noise_alpha}: NEFTune's alpha, uniform noise of magnitude
 *     {@code alpha / sqrt(L * d)} added to the input embeddings of training forwards only (0 = off)
 * @param device {@code device} (zephyr's own key): where every array of the run lives, {@code cpu}, {@code gpu} or
 *     {@code gpu:N} (stored as {@code cpu} or {@code gpu:N}); null means DJL's default device (the first GPU when the
 *     engine sees one, else the CPU). Checked against the machine by {@link #deviceOrDefault()} before a run loads
 *     anything; not a result-shaping key, so a run may resume on another device
 * @param bf16 {@code bf16}: matrix multiplies (projections and LM head) in bfloat16 with float32 accumulation, float32
 *     master weights, gradients, optimizer state, norms, softmax and loss, as {@code torch.autocast} does on CPU
 *     ({@link dev.zephyr.core.model.MatmulBackend#BF16}); in SFT and DPO runs the policy and the reference model both
 *     compute so (reward-model, PPO and RLOO runs warn and stay float32)
 */
public record TrainingArguments(
    Path outputDir,
    double learningRate,
    SchedulerType lrSchedulerType,
    double warmupRatio,
    long warmupSteps,
    double numTrainEpochs,
    long maxSteps,
    int perDeviceTrainBatchSize,
    int gradientAccumulationSteps,
    double maxGradNorm,
    double weightDecay,
    double adamBeta1,
    double adamBeta2,
    double adamEpsilon,
    OptimizerName optim,
    long seed,
    long loggingSteps,
    long saveSteps,
    int saveTotalLimit,
    boolean disableTqdm,
    boolean gradientCheckpointing,
    boolean allowConfigChange,
    IntervalStrategy evalStrategy,
    double evalSteps,
    int perDeviceEvalBatchSize,
    double neftuneNoiseAlpha,
    String device,
    boolean bf16) {

  /** The output directory when none is given, as in transformers. */
  public static final String DEFAULT_OUTPUT_DIR = "trainer_output";

  public TrainingArguments {
    Objects.requireNonNull(outputDir, "output_dir");
    Objects.requireNonNull(lrSchedulerType, "lr_scheduler_type");
    Objects.requireNonNull(optim, "optim");
    require(learningRate >= 0 && Double.isFinite(learningRate), "learning_rate", learningRate);
    require(warmupSteps >= 0, "warmup_steps", warmupSteps);
    require(maxSteps > 0 || numTrainEpochs > 0, "num_train_epochs", numTrainEpochs);
    require(perDeviceTrainBatchSize > 0, "per_device_train_batch_size", perDeviceTrainBatchSize);
    require(gradientAccumulationSteps > 0, "gradient_accumulation_steps", gradientAccumulationSteps);
    require(warmupRatio >= 0 && warmupRatio <= 1, "warmup_ratio", warmupRatio);
    require(maxGradNorm >= 0 && Double.isFinite(maxGradNorm), "max_grad_norm", maxGradNorm);
    require(weightDecay >= 0 && Double.isFinite(weightDecay), "weight_decay", weightDecay);
    // torch.optim.AdamW's own checks: betas in [0, 1), eps >= 0 (here also finite)
    require(adamBeta1 >= 0 && adamBeta1 < 1, "adam_beta1", adamBeta1, "in [0, 1)");
    require(adamBeta2 >= 0 && adamBeta2 < 1, "adam_beta2", adamBeta2, "in [0, 1)");
    require(adamEpsilon >= 0 && Double.isFinite(adamEpsilon), "adam_epsilon", adamEpsilon, "finite and >= 0");
    require(loggingSteps > 0, "logging_steps", loggingSteps);
    require(saveSteps >= 0, "save_steps", saveSteps);
    require(saveTotalLimit >= 0, "save_total_limit", saveTotalLimit);
    Objects.requireNonNull(evalStrategy, "eval_strategy");
    require(evalSteps >= 0 && Double.isFinite(evalSteps) && (evalSteps < 1 || evalSteps == Math.rint(evalSteps)),
        "eval_steps", evalSteps, "a whole number of steps, a fraction below 1 of all steps, or 0 for logging_steps");
    require(perDeviceEvalBatchSize > 0, "per_device_eval_batch_size", perDeviceEvalBatchSize);
    require(neftuneNoiseAlpha >= 0 && Double.isFinite(neftuneNoiseAlpha), "neftune_noise_alpha", neftuneNoiseAlpha,
        "finite and >= 0");
    device = device == null ? null : Devices.name(Devices.syntax(device, SOURCE, "device"));
  }

  /**
   * Logs that {@code bf16: true} leaves {@code what} in float32 (the runs that do not apply it yet: reward model, PPO,
   * RLOO).
   */
  public void warnBf16Unused(String what) {
    if (bf16) {
      org.slf4j.LoggerFactory.getLogger(TrainingArguments.class).warn(
          "bf16: true applies to SFT and DPO runs; this {} run computes in float32", what);
    }
  }

  /** {@code model} as this run computes with it: a bfloat16-multiplying view when {@link #bf16} is on. */
  public dev.zephyr.core.model.LlamaModel compute(dev.zephyr.core.model.LlamaModel model) {
    return bf16 && model != null ? model.withMatmul(dev.zephyr.core.model.MatmulBackend.BF16) : model;
  }

  /**
   * The run's device: {@link #device} checked against what DJL's engine sees (a GPU this machine lacks is refused,
   * naming the key {@code device}), or DJL's default device when unset.
   */
  public Device deviceOrDefault() {
    return device == null ? Devices.require(null, SOURCE, "device")
        : Devices.require(Devices.syntax(device, SOURCE, "device"), SOURCE, "device");
  }

  /** Optimizer steps between evaluations with {@code eval_strategy: steps} in a run of {@code totalSteps} steps. */
  public long evalInterval(long totalSteps) {
    if (evalSteps == 0) {
      return loggingSteps;
    }
    return evalSteps < 1 ? Math.max(1, (long) Math.ceil(evalSteps * totalSteps)) : (long) evalSteps;
  }

  /** The source named by validation errors; recipe loaders replace it with their file ({@code withSource}). */
  public static final String SOURCE = "TrainingArguments";

  private static void require(boolean ok, String key, Object value) {
    if (!ok) {
      throw dev.zephyr.core.InvalidInputException.field(SOURCE, key, "invalid value " + value);
    }
  }

  private static void require(boolean ok, String key, Object value, String expected) {
    if (!ok) {
      throw dev.zephyr.core.InvalidInputException.field(SOURCE, key, "expected a value " + expected + ", found "
          + value);
    }
  }

  public static Builder builder(Path outputDir) {
    return new Builder().outputDir(outputDir);
  }

  /**
   * These arguments under transformers' {@code TrainingArguments} names, without {@code output_dir} (where a run
   * writes is not a hyper-parameter): what stage manifests record.
   */
  public java.util.Map<String, Object> hfKeys() {
    java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
    m.put("learning_rate", learningRate);
    m.put("lr_scheduler_type", lrSchedulerType.hfName());
    m.put("warmup_ratio", warmupRatio);
    m.put("warmup_steps", warmupSteps);
    m.put("num_train_epochs", numTrainEpochs);
    m.put("max_steps", maxSteps);
    m.put("per_device_train_batch_size", perDeviceTrainBatchSize);
    m.put("gradient_accumulation_steps", gradientAccumulationSteps);
    m.put("max_grad_norm", maxGradNorm);
    m.put("weight_decay", weightDecay);
    m.put("adam_beta1", adamBeta1);
    m.put("adam_beta2", adamBeta2);
    m.put("adam_epsilon", adamEpsilon);
    m.put("optim", optim.hfName());
    m.put("seed", seed);
    m.put("logging_steps", loggingSteps);
    m.put("save_steps", saveSteps);
    m.put("save_total_limit", saveTotalLimit);
    m.put("gradient_checkpointing", gradientCheckpointing);
    m.put("eval_strategy", evalStrategy.hfName());
    m.put("eval_steps", evalSteps);
    m.put("per_device_eval_batch_size", perDeviceEvalBatchSize);
    m.put("neftune_noise_alpha", neftuneNoiseAlpha);
    m.put("bf16", bf16);
    return m;
  }

  /**
   * The arguments that change what training computes, under transformers' names: what a checkpoint stores and a
   * resume compares ({@link Trainer}). Left out as bookkeeping: {@code logging_steps}, {@code save_steps},
   * {@code save_total_limit}, {@code disable_tqdm} (what is logged, saved or drawn), {@code gradient_checkpointing}
   * (the same gradients, recomputed instead of stored) and {@code allow_config_change}; also
   * {@code num_train_epochs} when {@code max_steps} decides the length, and {@code warmup_ratio} when
   * {@code warmup_steps} decides the warm-up, since neither is used then; the {@code adam_*} keys unless AdamW runs;
   * {@code optim} when it is the default {@code adamw_torch}, so that checkpoints written before the key existed
   * (all AdamW) still resume; the evaluation keys (evaluation reads the weights and changes nothing), and
   * {@code neftune_noise_alpha} while it is 0 (off, as before the key existed).
   */
  public java.util.Map<String, Object> resultKeys() {
    java.util.Map<String, Object> m = hfKeys();
    m.keySet().removeAll(java.util.List.of("logging_steps", "save_steps", "save_total_limit",
        "gradient_checkpointing", "eval_strategy", "eval_steps", "per_device_eval_batch_size"));
    if (neftuneNoiseAlpha == 0) {
      m.remove("neftune_noise_alpha");
    }
    if (!bf16) {
      m.remove("bf16"); // float32, as every run before the key was read
    }
    if (warmupSteps != 0) {
      m.remove("warmup_ratio");
    }
    if (maxSteps > 0) {
      m.remove("num_train_epochs");
    }
    if (optim.algorithm() != OptimizerName.Algorithm.ADAMW) {
      m.keySet().removeAll(java.util.List.of("adam_beta1", "adam_beta2", "adam_epsilon"));
    }
    if (optim == OptimizerName.ADAMW_TORCH) {
      m.remove("optim");
    }
    return m;
  }

  /** A builder preset with these values. */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.outputDir = outputDir;
    b.learningRate = learningRate;
    b.lrSchedulerType = lrSchedulerType;
    b.warmupRatio = warmupRatio;
    b.warmupSteps = warmupSteps;
    b.numTrainEpochs = numTrainEpochs;
    b.maxSteps = maxSteps;
    b.perDeviceTrainBatchSize = perDeviceTrainBatchSize;
    b.gradientAccumulationSteps = gradientAccumulationSteps;
    b.maxGradNorm = maxGradNorm;
    b.weightDecay = weightDecay;
    b.adamBeta1 = adamBeta1;
    b.adamBeta2 = adamBeta2;
    b.adamEpsilon = adamEpsilon;
    b.optim = optim;
    b.seed = seed;
    b.loggingSteps = loggingSteps;
    b.saveSteps = saveSteps;
    b.saveTotalLimit = saveTotalLimit;
    b.disableTqdm = disableTqdm;
    b.gradientCheckpointing = gradientCheckpointing;
    b.allowConfigChange = allowConfigChange;
    b.evalStrategy = evalStrategy;
    b.evalSteps = evalSteps;
    b.perDeviceEvalBatchSize = perDeviceEvalBatchSize;
    b.neftuneNoiseAlpha = neftuneNoiseAlpha;
    b.device = device;
    b.bf16 = bf16;
    return b;
  }

  /** Builder with transformers/TRL defaults (lr 2e-5 as TRL's SFT, linear schedule, 3 epochs, batch 8). */
  public static final class Builder {
    private Path outputDir;
    private double learningRate = 2e-5;
    private SchedulerType lrSchedulerType = SchedulerType.LINEAR;
    private double warmupRatio = 0.0;
    private long warmupSteps = 0;
    private double numTrainEpochs = 3.0;
    private long maxSteps = -1;
    private int perDeviceTrainBatchSize = 8;
    private int gradientAccumulationSteps = 1;
    private double maxGradNorm = 1.0;
    private double weightDecay = 0.0;
    private double adamBeta1 = 0.9;
    private double adamBeta2 = 0.999;
    private double adamEpsilon = 1e-8;
    private OptimizerName optim = OptimizerName.ADAMW_TORCH;
    private long seed = 42;
    private long loggingSteps = 10;
    private long saveSteps = 500;
    private int saveTotalLimit = 0;
    private boolean disableTqdm = false;
    private boolean gradientCheckpointing = false;
    private boolean allowConfigChange = false;
    private IntervalStrategy evalStrategy = IntervalStrategy.NO;
    private double evalSteps = 0;
    private int perDeviceEvalBatchSize = 8;
    private double neftuneNoiseAlpha = 0;
    private String device;
    private boolean bf16;

    public Builder outputDir(Path v) { outputDir = v; return this; }
    public Builder learningRate(double v) { learningRate = v; return this; }
    public Builder lrSchedulerType(SchedulerType v) { lrSchedulerType = v; return this; }
    public Builder warmupRatio(double v) { warmupRatio = v; return this; }
    public Builder warmupSteps(long v) { warmupSteps = v; return this; }
    public Builder numTrainEpochs(double v) { numTrainEpochs = v; return this; }
    public Builder maxSteps(long v) { maxSteps = v; return this; }
    public Builder perDeviceTrainBatchSize(int v) { perDeviceTrainBatchSize = v; return this; }
    public Builder gradientAccumulationSteps(int v) { gradientAccumulationSteps = v; return this; }
    public Builder maxGradNorm(double v) { maxGradNorm = v; return this; }
    public Builder weightDecay(double v) { weightDecay = v; return this; }
    public Builder adamBeta1(double v) { adamBeta1 = v; return this; }
    public Builder adamBeta2(double v) { adamBeta2 = v; return this; }
    public Builder adamEpsilon(double v) { adamEpsilon = v; return this; }
    public Builder optim(OptimizerName v) { optim = v; return this; }
    public Builder seed(long v) { seed = v; return this; }
    public Builder loggingSteps(long v) { loggingSteps = v; return this; }
    public Builder saveSteps(long v) { saveSteps = v; return this; }
    public Builder saveTotalLimit(int v) { saveTotalLimit = v; return this; }
    public Builder disableTqdm(boolean v) { disableTqdm = v; return this; }
    public Builder gradientCheckpointing(boolean v) { gradientCheckpointing = v; return this; }
    public Builder allowConfigChange(boolean v) { allowConfigChange = v; return this; }
    public Builder evalStrategy(IntervalStrategy v) { evalStrategy = v; return this; }
    public Builder evalSteps(double v) { evalSteps = v; return this; }
    public Builder perDeviceEvalBatchSize(int v) { perDeviceEvalBatchSize = v; return this; }
    public Builder neftuneNoiseAlpha(double v) { neftuneNoiseAlpha = v; return this; }
    public Builder bf16(boolean v) { bf16 = v; return this; }
    /** {@code cpu}, {@code gpu}, {@code gpu:N}, or null for DJL's default device. */
    public Builder device(String v) { device = v; return this; }
    public Builder device(Device v) { device = v == null ? null : Devices.name(v); return this; }

    public TrainingArguments build() {
      return new TrainingArguments(outputDir, learningRate, lrSchedulerType, warmupRatio, warmupSteps,
          numTrainEpochs, maxSteps, perDeviceTrainBatchSize, gradientAccumulationSteps, maxGradNorm, weightDecay,
          adamBeta1, adamBeta2, adamEpsilon, optim, seed, loggingSteps, saveSteps, saveTotalLimit, disableTqdm,
          gradientCheckpointing, allowConfigChange, evalStrategy, evalSteps, perDeviceEvalBatchSize,
          neftuneNoiseAlpha, device, bf16);
    }
  }
}
