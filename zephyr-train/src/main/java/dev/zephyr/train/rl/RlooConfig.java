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
 * An RLOO run (TRL's {@code RLOOConfig}, the REINFORCE leave-one-out trainer of Ahmadian et al. 2024): {@code rloo_k}
 * responses per prompt, each response's baseline the mean reward of the other {@code rloo_k - 1}, no value model.
 * The policy starts from {@code model_name_or_path}, also the frozen reference.
 *
 * @param modelNameOrPath the SFT policy: a local Hugging Face causal-LM directory
 * @param rewardModelPath a reward model directory (sequence-classification layout, {@code score.weight})
 * @param datasets prompt files, as for PPO
 * @param outputDir {@code output_dir}: the trained policy's Hugging Face directory
 * @param onPolicy rollout and update settings shared with PPO; its batch counts completions, so it must be a multiple
 *     of {@code rloo_k}
 * @param rlooK {@code rloo_k}: responses per prompt, at least 2 (TRL's default 2)
 * @param normalizeAdvantage {@code normalize_advantage}: scale the advantages of a batch to zero mean and unit
 *     deviation (false)
 * @param training optimisation and bookkeeping; its {@code outputDir} is the run directory
 * @param lora LoRA adapters to train instead of the policy's weights ({@code use_peft}), or null; with adapters the
 *     reference is the policy with its adapters switched off
 */
@JsonDeserialize(using = RlBinding.Rloo.class)
public record RlooConfig(Path modelNameOrPath, Path rewardModelPath, List<Path> datasets, Path outputDir,
    OnPolicyConfig onPolicy, int rlooK, boolean normalizeAdvantage, TrainingArguments training, LoraConfig lora) {

  public static final String SOURCE = "RlooConfig";

  public RlooConfig {
    Objects.requireNonNull(onPolicy, "onPolicy");
    Objects.requireNonNull(training, "training arguments");
    datasets = datasets == null ? List.of() : List.copyOf(datasets);
    if (rlooK < 2) {
      throw InvalidInputException.field(SOURCE, "rloo_k", "expected at least 2 responses per prompt (the baseline of"
          + " each is the mean of the others), found " + rlooK);
    }
    int batch = training.perDeviceTrainBatchSize() * training.gradientAccumulationSteps() * onPolicy.numMiniBatches();
    if (batch % rlooK != 0) {
      throw InvalidInputException.field(SOURCE, "rloo_k", "the batch of per_device_train_batch_size ("
          + training.perDeviceTrainBatchSize() + ") * gradient_accumulation_steps ("
          + training.gradientAccumulationSteps() + ") * num_mini_batches (" + onPolicy.numMiniBatches() + ") = "
          + batch + " completions is not a multiple of rloo_k = " + rlooK);
    }
  }

  /** Completions per update: TRL's {@code batch_size}. */
  public int batchSize() {
    return training.perDeviceTrainBatchSize() * training.gradientAccumulationSteps() * onPolicy.numMiniBatches();
  }

  /** The result-shaping keys, stored with each checkpoint. */
  public Map<String, Object> taskKeys() {
    Map<String, Object> m = new LinkedHashMap<>(onPolicy.keys());
    m.put("rloo_k", rlooK);
    m.put("normalize_advantage", normalizeAdvantage);
    m.putAll(LoraTraining.taskKeys(lora));
    return m;
  }

  public RlooConfig withTraining(TrainingArguments t) {
    return new RlooConfig(modelNameOrPath, rewardModelPath, datasets, outputDir, onPolicy, rlooK, normalizeAdvantage,
        t, lora);
  }

  /** A builder with TRL's RLOOConfig defaults (learning rate 3e-6, rloo_k 2). */
  public static Builder builder(Path outputDir) {
    return new Builder(outputDir);
  }

  /** Builder; see the record's parameters for the keys. */
  public static final class Builder {
    Path modelNameOrPath;
    Path rewardModelPath;
    List<Path> datasets = List.of();
    final Path outputDir;
    OnPolicyConfig onPolicy = OnPolicyConfig.defaults();
    int rlooK = 2;
    boolean normalizeAdvantage;
    LoraConfig lora;
    final TrainingArguments.Builder training;

    Builder(Path outputDir) {
      this.outputDir = outputDir;
      this.training = TrainingArguments.builder(OnPolicyConfig.runDirBesides(outputDir)).learningRate(3e-6);
    }

    public Builder modelNameOrPath(Path v) { modelNameOrPath = v; return this; }
    public Builder rewardModelPath(Path v) { rewardModelPath = v; return this; }
    public Builder datasets(List<Path> v) { datasets = v; return this; }
    public Builder onPolicy(OnPolicyConfig v) { onPolicy = v; return this; }
    public Builder rlooK(int v) { rlooK = v; return this; }
    public Builder normalizeAdvantage(boolean v) { normalizeAdvantage = v; return this; }
    /** LoRA adapters to train ({@code use_peft}); null (the default) trains every weight. */
    public Builder lora(LoraConfig v) { lora = v; return this; }
    public Builder runDir(Path v) { training.outputDir(v); return this; }
    public OnPolicyConfig onPolicy() { return onPolicy; }
    public Path outputDir() { return outputDir; }
    public TrainingArguments.Builder training() { return training; }

    public RlooConfig build() {
      return new RlooConfig(modelNameOrPath, rewardModelPath, datasets, outputDir, onPolicy, rlooK,
          normalizeAdvantage, training.build(), lora);
    }
  }
}
