package dev.zephyr.train.rl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.training.GradientCollector;
import dev.zephyr.core.model.LlamaModel;
import dev.zephyr.train.loop.DecoderGraph;
import dev.zephyr.train.loop.Scalars;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * RLOO with TRL's semantics ({@code RLOOTrainer}, REINFORCE leave-one-out, Ahmadian et al. 2024). Per update:
 * {@code batch_size / rloo_k} prompts, each sampled {@code rloo_k} times (TRL's layout: the prompt batch repeated
 * {@code rloo_k} times); the sequence reward {@code score - kl_coef * sum_t (log pi - log pi_ref)}; each sample's
 * advantage its reward minus the mean reward of the other samples of its prompt (optionally normalised,
 * {@code normalize_advantage}); then {@code num_ppo_epochs} passes of {@code num_mini_batches} mini-batches minimising
 * the clipped loss on the ratio of whole-response probabilities. No value model.
 *
 * <p>Metrics, TRL's names: {@code objective/kl}, {@code objective/entropy}, {@code objective/non_score_reward},
 * {@code objective/rlhf_reward}, {@code objective/scores}, {@code policy/approxkl_avg}, {@code policy/clipfrac_avg},
 * {@code loss/policy_avg}, {@code policy/entropy_avg}, {@code val/ratio}, {@code val/ratio_var},
 * {@code val/num_eos_tokens}, {@code lr}, {@code episode}.
 */
public final class RlooTrainer extends OnPolicyTrainer {
  private final RlooConfig config;

  public RlooTrainer(RlooConfig config, LlamaModel policy, LlamaModel reference, RewardFunction reward,
      List<int[]> prompts) {
    this(config, policy, policy.parameters(), reference, reward, prompts);
  }

  /** As above, with the policy's trainable parameters given (every one trained, checkpointed as a full model). */
  public RlooTrainer(RlooConfig config, LlamaModel policy, Map<String, NDArray> policyTrainable,
      LlamaModel reference, RewardFunction reward, List<int[]> prompts) {
    this(config, policy, TrainableWeights.full(policyTrainable), reference, reward, prompts);
  }

  /**
   * With the policy's trainable weights and their checkpoint layout given (LoRA adapters as PEFT files, for example).
   *
   * @param reference the frozen reference: a separate model, or with LoRA the base the policy's adapters apply to
   */
  public RlooTrainer(RlooConfig config, LlamaModel policy, TrainableWeights policyWeights, LlamaModel reference,
      RewardFunction reward, List<int[]> prompts) {
    super(config.training(), config.onPolicy(), policy, reference, reward, prompts, List.of(policyWeights),
        config.batchSize(), config.batchSize() / config.rlooK(), config.taskKeys());
    this.config = config;
  }

  @Override
  protected List<int[]> rows(List<int[]> stepPrompts) {
    List<int[]> out = new ArrayList<>(stepPrompts.size() * config.rlooK());
    for (int i = 0; i < config.rlooK(); i++) {
      out.addAll(stepPrompts);
    }
    return out;
  }

  @Override
  protected Map<String, Double> update(long step, List<int[]> queries, double lr) {
    Sampled sampled = rollout(step, queries);
    List<int[]> responses = sampled.responses();
    int n = queries.size();
    int width = sampled.width();
    double[][] logp = sampled.logprobs();
    double[] scores = sampled.scores();
    double[] kl = new double[n];
    double[] nonScore = new double[n];
    double[] rlhf = new double[n];
    double entropy = 0;
    long eos = 0;
    for (int b = 0; b < n; b++) {
      for (int t = 0; t < responses.get(b).length; t++) {
        kl[b] += logp[b][t] - sampled.refLogprobs()[b][t];
        entropy -= logp[b][t];
      }
      nonScore[b] = -cfg.klCoef() * kl[b];
      rlhf[b] = scores[b] + nonScore[b];
      eos += eosCount(responses.get(b));
    }
    double[] adv = Advantages.leaveOneOut(rlhf, config.rlooK());
    double[] advantages = config.normalizeAdvantage() ? Advantages.normalize(adv) : adv;
    UpdateStats stats = optimisationPasses(step, n, lr, (rows, gc) -> microStep(
        new ResponseBatch(pick(queries, rows), pick(responses, rows), width), rows, logp, advantages, gc));
    Map<String, Double> m = new LinkedHashMap<>();
    m.put("objective/kl", mean(kl));
    m.put("objective/entropy", entropy / n);
    m.put("objective/non_score_reward", mean(nonScore));
    m.put("objective/rlhf_reward", mean(rlhf));
    m.put("objective/scores", mean(scores));
    m.putAll(stats.means());
    m.put("val/num_eos_tokens", (double) eos);
    return m;
  }

  private static double mean(double[] x) {
    double s = 0;
    for (double v : x) {
      s += v;
    }
    return s / x.length;
  }

  private MicroResult microStep(ResponseBatch batch, int[] rows, double[][] oldLogp, double[] adv,
      GradientCollector gc) {
    float[] a = new float[rows.length];
    for (int i = 0; i < rows.length; i++) {
      a[i] = (float) adv[rows[i]];
    }
    try (NDScope scope = new NDScope()) {
      scope.suppressNotUsedWarning();
      NDManager m = manager;
      DecoderGraph g = DecoderGraph.forward(policy, batch.rows(), args.gradientCheckpointing());
      PolicyOutputs out = PolicyOutputs.of(policy, g, batch, cfg.temperature());
      NDArray mask = batch.mask(m, 0);
      ClippedLosses.PolicyLoss pl = ClippedLosses.sequencePolicy(out.logprobs(),
          PpoTrainer.slice(m, oldLogp, rows, batch.width()), m.create(a), mask, cfg.cliprange());
      gc.backward(Scalars.div(pl.loss(), args.gradientAccumulationSteps()));
      g.backward(gc);
      Map<String, Double> s = new LinkedHashMap<>();
      s.put("policy/approxkl_avg", pl.approxKl());
      s.put("policy/clipfrac_avg", pl.clipFraction());
      s.put("loss/policy_avg", (double) pl.loss().getFloat());
      s.put("policy/entropy_avg", (double) ClippedLosses.maskedMean(out.entropy(), mask).getFloat());
      return new MicroResult(s, pl.ratio());
    }
  }
}
