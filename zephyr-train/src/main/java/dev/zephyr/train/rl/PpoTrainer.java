package dev.zephyr.train.rl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.zephyr.core.model.LlamaModel;
import dev.zephyr.core.model.safetensors.Dtype;
import dev.zephyr.core.model.safetensors.Safetensors;
import dev.zephyr.train.loop.CheckpointWeights;
import dev.zephyr.train.loop.DecoderGraph;
import dev.zephyr.train.loop.Scalars;
import dev.zephyr.train.reward.RewardModel;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * PPO for language models with TRL's semantics ({@code PPOTrainer}, after Ouyang et al. 2022 and Huang et al.'s "N+
 * implementation details of RLHF with PPO"). Per update:
 * <ol>
 *   <li>sample a response for each prompt; score it ({@link RewardFunction}, less {@code missing_eos_penalty} without
 *       EOS); take the per-token log-probs of the policy and the frozen reference and the value model's values;</li>
 *   <li>per-token rewards: {@code -kl_coef * KL_t} ({@code kl_estimator} k1 or k3) and the score added at the position
 *       after the response's last token (at the last token when the response fills the batch's width), as TRL
 *       places it; optionally whitened ({@code whiten_rewards});</li>
 *   <li>GAE ({@code gamma}, {@code lam}) over the response, returns {@code A + V}, advantages whitened over the
 *       response tokens;</li>
 *   <li>{@code num_ppo_epochs} passes of {@code num_mini_batches} mini-batches minimising the clipped policy loss plus
 *       {@code vf_coef} times the clipped value loss ({@code cliprange}, {@code cliprange_value}).</li>
 * </ol>
 * Metrics ({@code metrics.jsonl}, TRL's names): {@code objective/kl}, {@code objective/entropy},
 * {@code objective/non_score_reward}, {@code objective/rlhf_reward}, {@code objective/scores},
 * {@code policy/approxkl_avg}, {@code policy/clipfrac_avg}, {@code loss/policy_avg}, {@code loss/value_avg},
 * {@code val/clipfrac_avg}, {@code policy/entropy_avg}, {@code val/ratio}, {@code val/ratio_var},
 * {@code val/num_eos_tokens}, {@code lr}, {@code episode}. Per-token statistics are means over the response tokens
 * (TRL averages some over the padding too).
 *
 * <p>The value model is a {@link RewardModel} (decoder plus scalar head) trained with the policy by one optimizer; its
 * trainable weights are checkpointed under {@code value_model.} names: in {@code model.safetensors} beside the
 * policy's weights, or, when the policy trains LoRA adapters (stored as PEFT files), in {@link #VALUE_FILE}.
 */
public final class PpoTrainer extends OnPolicyTrainer {
  /** Prefix of the value model's tensors in checkpoints and optimizer state. */
  public static final String VALUE_PREFIX = "value_model.";
  /** The checkpoint file of the value model's trainable weights when the policy's are not a full model's. */
  public static final String VALUE_FILE = "value_model.safetensors";

  private final PpoConfig config;
  private final RewardModel valueModel;
  /** The KL coefficient in use, a float so that its checkpointed (F32) value resumes it exactly. */
  private float klCoef;
  private NDArray klCoefState;

  /**
   * @param policy the trained policy (full weights trainable)
   * @param reference the frozen reference, a separate model (with LoRA: the base without adapters)
   * @param valueModel the critic, trained; for TRL's setup a copy of the reward model
   * @param prompts tokenised prompts (each already formatted, generation prompt included)
   */
  public PpoTrainer(PpoConfig config, LlamaModel policy, LlamaModel reference, RewardModel valueModel,
      RewardFunction reward, List<int[]> prompts) {
    this(config, policy, policy.parameters(), reference, valueModel, reward, prompts);
  }

  /** As above, with the policy's trainable parameters given (every one trained, checkpointed as a full model). */
  public PpoTrainer(PpoConfig config, LlamaModel policy, Map<String, NDArray> policyTrainable, LlamaModel reference,
      RewardModel valueModel, RewardFunction reward, List<int[]> prompts) {
    this(config, policy, TrainableWeights.full(policyTrainable), reference, valueModel, valueModel.parameters(),
        reward, prompts);
  }

  /**
   * The general form: the policy's trainable weights with their checkpoint layout (LoRA adapters as PEFT files, for
   * example) and the value model's trainable weights by name (all of them, or its adapters and {@code score.weight}).
   *
   * @param reference the frozen reference: a separate model, or with LoRA the base the policy's adapters apply to
   */
  public PpoTrainer(PpoConfig config, LlamaModel policy, TrainableWeights policyWeights, LlamaModel reference,
      RewardModel valueModel, Map<String, NDArray> valueTrainable, RewardFunction reward, List<int[]> prompts) {
    super(config.training(), config.onPolicy(), policy, reference, reward, prompts,
        trainable(policyWeights, valueTrainable), config.batchSize(), config.batchSize(), config.taskKeys());
    this.config = config;
    this.valueModel = valueModel;
    this.klCoef = (float) config.onPolicy().klCoef();
  }

  @Override
  protected Map<String, NDArray> extraState() {
    if (config.adaptiveKl() == null) {
      return Map.of();
    }
    if (klCoefState == null) {
      klCoefState = manager.create(new float[] {klCoef});
    }
    klCoefState.set(new float[] {klCoef});
    return Map.of("kl_ctl.value", klCoefState);
  }

  @Override
  protected void afterRestore() {
    if (klCoefState != null) {
      klCoef = klCoefState.toFloatArray()[0];
    }
  }

  /** One group when the policy's weights are a full model's (the layout of earlier checkpoints), else two. */
  private static List<TrainableWeights> trainable(TrainableWeights policy, Map<String, NDArray> value) {
    Map<String, NDArray> prefixed = new LinkedHashMap<>();
    value.forEach((k, v) -> prefixed.put(VALUE_PREFIX + k, v));
    if (policy.format() == CheckpointWeights.MODEL) {
      Map<String, NDArray> all = new LinkedHashMap<>(policy.parameters());
      all.putAll(prefixed);
      return List.of(TrainableWeights.full(all));
    }
    return List.of(policy, new TrainableWeights(prefixed, VALUE_WEIGHTS));
  }

  /** The value model's weights in {@link #VALUE_FILE}, float32, under their trainer names. */
  private static final CheckpointWeights VALUE_WEIGHTS = new CheckpointWeights() {
    @Override
    public void write(Path checkpointDir, Map<String, NDArray> params) {
      Safetensors.save(checkpointDir.resolve(VALUE_FILE), params, Dtype.F32);
    }

    @Override
    public Path file(Path checkpoint) {
      return checkpoint.resolve(VALUE_FILE);
    }

    @Override
    public String storedName(String parameter) {
      return parameter;
    }
  };

  @Override
  protected List<int[]> rows(List<int[]> stepPrompts) {
    return stepPrompts;
  }

  @Override
  protected Map<String, Double> update(long step, List<int[]> queries, double lr) {
    Sampled sampled = rollout(step, queries);
    List<int[]> responses = sampled.responses();
    int n = queries.size();
    int width = sampled.width();
    double[][] logp = sampled.logprobs();
    double[][] values = new double[n][];
    noGradChunks(n, (from, to) -> {
      ResponseBatch b = new ResponseBatch(queries.subList(from, to), responses.subList(from, to), width);
      copyRows(PolicyOutputs.values(valueModel, DecoderGraph.forward(valueModel.decoder(), b.rows(), false), b),
          values, from, width);
    });
    double[] scores = sampled.scores();

    boolean[][] valid = new boolean[n][width];
    boolean[][] validNext = new boolean[n][width];
    double[][] kl = new double[n][width];
    double[][] rewards = new double[n][width];
    for (int b = 0; b < n; b++) {
      int len = responses.get(b).length;
      for (int t = 0; t < width; t++) {
        valid[b][t] = t < len;
        validNext[b][t] = t <= len;
        if (valid[b][t]) {
          kl[b][t] = config.klEstimator().of(logp[b][t], sampled.refLogprobs()[b][t]);
          rewards[b][t] = -klCoef * kl[b][t];
        }
      }
      rewards[b][len < width ? len : len - 1] += scores[b];
    }
    if (config.whitenRewards()) {
      rewards = Advantages.zeroOutside(Advantages.whiten(rewards, validNext, false), validNext);
    }
    Advantages.zeroOutside(values, validNext);
    double[][] adv = Advantages.gae(rewards, values, config.gamma(), config.lam());
    double[][] returns = new double[n][width];
    for (int b = 0; b < n; b++) {
      for (int t = 0; t < width; t++) {
        returns[b][t] = adv[b][t] + values[b][t];
      }
    }
    adv = Advantages.zeroOutside(Advantages.whiten(adv, valid, true), valid);
    Rollout roll = new Rollout(logp, values, adv, returns);
    UpdateStats stats = optimisationPasses(step, n, lr,
        (rows, gc) -> microStep(new ResponseBatch(pick(queries, rows), pick(responses, rows), width), rows, roll, gc));

    Map<String, Double> m = new LinkedHashMap<>();
    double klSum = 0;
    double entropySum = 0;
    double nonScoreSum = 0;
    double scoreSum = 0;
    long eos = 0;
    for (int b = 0; b < n; b++) {
      for (int t = 0; t < width; t++) {
        if (valid[b][t]) {
          klSum += kl[b][t];
          entropySum -= logp[b][t];
          nonScoreSum += -klCoef * kl[b][t];
        }
      }
      scoreSum += scores[b];
      eos += eosCount(responses.get(b));
    }
    m.put("objective/kl", klSum / n);
    m.put("objective/entropy", entropySum / n);
    m.put("objective/non_score_reward", nonScoreSum / n);
    m.put("objective/rlhf_reward", nonScoreSum / n + scoreSum / n);
    m.put("objective/scores", scoreSum / n);
    m.putAll(stats.means());
    m.put("val/num_eos_tokens", (double) eos);
    if (config.adaptiveKl() != null) {
      m.put("objective/kl_coef", (double) klCoef);
      klCoef = (float) config.adaptiveKl().next(klCoef, klSum / n, n);
    }
    return m;
  }

  /** What the optimisation passes read from the rollout, {@code [B][width]}. */
  private record Rollout(double[][] logprobs, double[][] values, double[][] advantages, double[][] returns) {}

  private MicroResult microStep(ResponseBatch batch, int[] rows, Rollout roll, GradientCollector gc) {
    int width = batch.width();
    try (NDScope scope = new NDScope()) {
      scope.suppressNotUsedWarning();
      NDManager m = manager;
      DecoderGraph pg = DecoderGraph.forward(policy, batch.rows(), args.gradientCheckpointing());
      PolicyOutputs out = PolicyOutputs.of(policy, pg, batch, cfg.temperature());
      DecoderGraph vg = DecoderGraph.forward(valueModel.decoder(), batch.rows(), args.gradientCheckpointing());
      NDArray predicted = PolicyOutputs.values(valueModel, vg, batch);
      NDArray mask = batch.mask(m, 0);
      NDArray maskNext = batch.mask(m, 1);
      ClippedLosses.PolicyLoss pl = ClippedLosses.tokenPolicy(out.logprobs(), slice(m, roll.logprobs(), rows, width),
          slice(m, roll.advantages(), rows, width), mask, cfg.cliprange());
      ClippedLosses.ValueLoss vl = ClippedLosses.value(predicted, slice(m, roll.values(), rows, width),
          slice(m, roll.returns(), rows, width), maskNext, config.cliprangeValue());
      NDArray loss = pl.loss().add(Scalars.mul(vl.loss(), config.vfCoef()));
      gc.backward(Scalars.div(loss, args.gradientAccumulationSteps()));
      pg.backward(gc);
      vg.backward(gc);
      Map<String, Double> s = new LinkedHashMap<>();
      s.put("policy/approxkl_avg", pl.approxKl());
      s.put("policy/clipfrac_avg", pl.clipFraction());
      s.put("loss/policy_avg", (double) pl.loss().getFloat());
      s.put("loss/value_avg", (double) vl.loss().getFloat());
      s.put("val/clipfrac_avg", vl.clipFraction());
      s.put("policy/entropy_avg", (double) ClippedLosses.maskedMean(out.entropy(), mask).getFloat());
      return new MicroResult(s, pl.ratio());
    }
  }

  /** Rows {@code rows} of a {@code [B][width]} array as a float NDArray {@code [rows, width]}. */
  static NDArray slice(NDManager m, double[][] x, int[] rows, int width) {
    float[] out = new float[rows.length * width];
    for (int i = 0; i < rows.length; i++) {
      for (int t = 0; t < width; t++) {
        out[i * width + t] = (float) x[rows[i]][t];
      }
    }
    return m.create(out, new Shape(rows.length, width));
  }
}
