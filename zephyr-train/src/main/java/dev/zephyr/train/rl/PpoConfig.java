package dev.zephyr.train.rl;

import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import dev.zephyr.core.InvalidInputException;
import dev.zephyr.core.model.lora.LoraConfig;
import dev.zephyr.train.loop.TrainingArguments;
import dev.zephyr.train.lora.LoraTraining;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A PPO run (TRL's {@code PPOConfig}): the policy starts from {@code model_name_or_path} (TRL's
 * {@code sft_model_path}), which is also the frozen reference; {@code reward_model_path} scores the responses and, by
 * default, initialises the value model ({@code value_model_path}), as TRL's example does.
 *
 * @param modelNameOrPath the SFT policy: a local Hugging Face causal-LM directory
 * @param rewardModelPath a reward model directory (sequence-classification layout, {@code score.weight})
 * @param valueModelPath the value model's initialisation (a reward model directory); null for
 *     {@code reward_model_path}
 * @param datasets prompt files (JSONL: {@code prompt} as text or messages, or {@code messages} whose turns up to the
 *     first user turn are the prompt)
 * @param outputDir {@code output_dir}: the trained policy's Hugging Face directory
 * @param onPolicy rollout and update settings shared with RLOO
 * @param vfCoef {@code vf_coef}: weight of the value loss (0.1)
 * @param cliprangeValue {@code cliprange_value}: clip range of the value prediction around the rollout's (0.2)
 * @param gamma {@code gamma}: discount (1.0)
 * @param lam {@code lam}: GAE's lambda (0.95)
 * @param klEstimator {@code kl_estimator}: {@code k1} (default) or {@code k3}
 * @param whitenRewards {@code whiten_rewards}: whiten the per-token rewards before GAE (false)
 * @param adaptiveKl the adaptive KL controller of TRL's earlier PPOTrainer ({@code adap_kl_ctrl: true} with
 *     {@code target}, {@code horizon}); null keeps {@code kl_coef} fixed, as TRL's current trainer does
 * @param training optimisation and bookkeeping ({@code learning_rate}, {@code per_device_train_batch_size},
 *     {@code save_steps}, {@code seed}...); its {@code outputDir} is the run directory
 * @param lora LoRA adapters to train instead of the policy's weights ({@code use_peft}), or null; with adapters the
 *     reference is the policy with its adapters switched off, and the value model trains adapters of its own plus its
 *     head
 */
@JsonDeserialize(using = RlBinding.Ppo.class)
public record PpoConfig(Path modelNameOrPath, Path rewardModelPath, Path valueModelPath, List<Path> datasets,
    Path outputDir, OnPolicyConfig onPolicy, double vfCoef, double cliprangeValue, double gamma, double lam,
    KlEstimator klEstimator, boolean whitenRewards, AdaptiveKl adaptiveKl, TrainingArguments training,
    LoraConfig lora) {

  public static final String SOURCE = "PpoConfig";

  public PpoConfig {
    Objects.requireNonNull(onPolicy, "onPolicy");
    Objects.requireNonNull(klEstimator, "kl_estimator");
    Objects.requireNonNull(training, "training arguments");
    datasets = datasets == null ? List.of() : List.copyOf(datasets);
    if (!(vfCoef >= 0)) {
      throw InvalidInputException.field(SOURCE, "vf_coef", "expected a number >= 0, found " + vfCoef);
    }
    if (!(cliprangeValue > 0)) {
      throw InvalidInputException.field(SOURCE, "cliprange_value", "expected a number > 0, found " + cliprangeValue);
    }
    if (!(gamma >= 0 && gamma <= 1)) {
      throw InvalidInputException.field(SOURCE, "gamma", "expected a number in [0, 1], found " + gamma);
    }
    if (!(lam >= 0 && lam <= 1)) {
      throw InvalidInputException.field(SOURCE, "lam", "expected a number in [0, 1], found " + lam);
    }
  }

  /**
   * Ziegler et al.'s proportional controller, as TRL's {@code AdaptiveKLController}: after each update the coefficient
   * is multiplied by {@code 1 + clip(KL / target - 1, -0.2, 0.2) * batch_size / horizon}, KL being the batch's mean
   * summed per-response KL.
   *
   * @param target {@code target}: the KL aimed at (TRL's default 6)
   * @param horizon {@code horizon}: how many episodes the correction is spread over (TRL's default 10000)
   */
  public record AdaptiveKl(double target, long horizon) {
    public AdaptiveKl {
      if (!(target > 0)) {
        throw InvalidInputException.field(SOURCE, "target", "expected a KL > 0, found " + target);
      }
      if (horizon < 1) {
        throw InvalidInputException.field(SOURCE, "horizon", "expected at least 1, found " + horizon);
      }
    }

    /** The coefficient after an update whose mean KL was {@code kl}, over {@code episodes} completions. */
    public double next(double coef, double kl, long episodes) {
      double error = Math.max(-0.2, Math.min(0.2, kl / target - 1));
      return coef * (1 + error * episodes / horizon);
    }
  }

  /** Completions per update: TRL's {@code batch_size}. */
  public int batchSize() {
    return training.perDeviceTrainBatchSize() * training.gradientAccumulationSteps() * onPolicy.numMiniBatches();
  }

  /** The value model's initialisation: {@code value_model_path}, else the reward model. */
  public Path valueModelOrReward() {
    return valueModelPath != null ? valueModelPath : rewardModelPath;
  }

  /** The result-shaping keys, stored with each checkpoint. */
  public Map<String, Object> taskKeys() {
    Map<String, Object> m = new LinkedHashMap<>(onPolicy.keys());
    m.put("vf_coef", vfCoef);
    m.put("cliprange_value", cliprangeValue);
    m.put("gamma", gamma);
    m.put("lam", lam);
    m.put("kl_estimator", klEstimator.hfName());
    m.put("whiten_rewards", whitenRewards);
    m.put("adap_kl_ctrl", adaptiveKl != null);
    if (adaptiveKl != null) {
      m.put("target", adaptiveKl.target());
      m.put("horizon", adaptiveKl.horizon());
    }
    m.putAll(LoraTraining.taskKeys(lora));
    return m;
  }

  public PpoConfig withTraining(TrainingArguments t) {
    return new PpoConfig(modelNameOrPath, rewardModelPath, valueModelPath, datasets, outputDir, onPolicy, vfCoef,
        cliprangeValue, gamma, lam, klEstimator, whitenRewards, adaptiveKl, t, lora);
  }

  /** A builder with TRL's PPOConfig defaults (learning rate 3e-6) and the run directory beside {@code outputDir}. */
  public static Builder builder(Path outputDir) {
    return new Builder(outputDir);
  }

  /** Builder; see the record's parameters for the keys. */
  public static final class Builder {
    Path modelNameOrPath;
    Path rewardModelPath;
    Path valueModelPath;
    List<Path> datasets = List.of();
    final Path outputDir;
    OnPolicyConfig onPolicy = OnPolicyConfig.defaults();
    double vfCoef = 0.1;
    double cliprangeValue = 0.2;
    double gamma = 1.0;
    double lam = 0.95;
    KlEstimator klEstimator = KlEstimator.K1;
    boolean whitenRewards;
    AdaptiveKl adaptiveKl;
    LoraConfig lora;
    final TrainingArguments.Builder training;

    Builder(Path outputDir) {
      this.outputDir = outputDir;
      this.training = TrainingArguments.builder(OnPolicyConfig.runDirBesides(outputDir)).learningRate(3e-6);
    }

    public Builder modelNameOrPath(Path v) { modelNameOrPath = v; return this; }
    public Builder rewardModelPath(Path v) { rewardModelPath = v; return this; }
    public Builder valueModelPath(Path v) { valueModelPath = v; return this; }
    public Builder datasets(List<Path> v) { datasets = v; return this; }
    public Builder onPolicy(OnPolicyConfig v) { onPolicy = v; return this; }
    public Builder vfCoef(double v) { vfCoef = v; return this; }
    public Builder cliprangeValue(double v) { cliprangeValue = v; return this; }
    public Builder gamma(double v) { gamma = v; return this; }
    public Builder lam(double v) { lam = v; return this; }
    public Builder klEstimator(KlEstimator v) { klEstimator = v; return this; }
    public Builder whitenRewards(boolean v) { whitenRewards = v; return this; }
    /** {@code adap_kl_ctrl}; null for a fixed {@code kl_coef}. */
    public Builder adaptiveKl(AdaptiveKl v) { adaptiveKl = v; return this; }
    /** LoRA adapters to train ({@code use_peft}); null (the default) trains every weight. */
    public Builder lora(LoraConfig v) { lora = v; return this; }
    public Builder runDir(Path v) { training.outputDir(v); return this; }
    public OnPolicyConfig onPolicy() { return onPolicy; }
    public Path outputDir() { return outputDir; }
    public TrainingArguments.Builder training() { return training; }

    public PpoConfig build() {
      return new PpoConfig(modelNameOrPath, rewardModelPath, valueModelPath, datasets, outputDir, onPolicy, vfCoef,
          cliprangeValue, gamma, lam, klEstimator, whitenRewards, adaptiveKl, training.build(), lora);
    }
  }
}
