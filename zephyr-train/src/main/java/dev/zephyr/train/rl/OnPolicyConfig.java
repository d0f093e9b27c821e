package dev.zephyr.train.rl;

import dev.zephyr.core.InvalidInputException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The rollout and update settings PPO and RLOO share, under TRL's names ({@code OnPolicyConfig} plus the
 * {@code num_ppo_epochs}, {@code cliprange} and {@code kl_coef} both trainers declare). The rollout batch of one update
 * is TRL's {@code batch_size = per_device_train_batch_size * gradient_accumulation_steps * num_mini_batches}
 * completions; each mini-batch of {@code per_device_train_batch_size * gradient_accumulation_steps} is one optimizer
 * step.
 *
 * @param responseLength {@code response_length}: tokens sampled per response at most (TRL's default 53)
 * @param temperature {@code temperature}: sampling temperature, also dividing the logits of every log-prob (0.7)
 * @param stopTokenId {@code stop_token_id}, or {@code stop_token: eos} (the policy's EOS id); responses end at its
 *     first occurrence, as TRL's {@code truncate_response}; null: only the model's EOS ends a response
 * @param missingEosPenalty {@code missing_eos_penalty}: subtracted from the score of a response without EOS; null for
 *     none
 * @param numMiniBatches {@code num_mini_batches} (1)
 * @param numPpoEpochs {@code num_ppo_epochs}: passes over each rollout batch (4)
 * @param cliprange {@code cliprange}: the policy ratio's clip range (0.2)
 * @param klCoef {@code kl_coef}: weight of the KL penalty to the reference (0.05)
 * @param totalEpisodes {@code total_episodes}: completions to train on; null for {@code num_train_epochs} times the
 *     prompt count, as TRL
 * @param localRolloutForwardBatchSize {@code local_rollout_forward_batch_size}: rows per no-gradient forward and per
 *     generation batch during rollouts (64)
 * @param numSampleGenerations {@code num_sample_generations}: how many times during training to write sample
 *     generations ({@code samples.jsonl} in the run directory; see {@code OnPolicyTrainer}), 0 for never (TRL's
 *     default 10)
 */
public record OnPolicyConfig(int responseLength, double temperature, Integer stopTokenId, Double missingEosPenalty,
    int numMiniBatches, int numPpoEpochs, double cliprange, double klCoef, Long totalEpisodes,
    int localRolloutForwardBatchSize, int numSampleGenerations) {

  /** Errors name this source until a recipe parser replaces it with the file. */
  public static final String SOURCE = "OnPolicyConfig";

  public OnPolicyConfig {
    positive(responseLength, "response_length");
    positive(numMiniBatches, "num_mini_batches");
    positive(numPpoEpochs, "num_ppo_epochs");
    positive(localRolloutForwardBatchSize, "local_rollout_forward_batch_size");
    if (!(temperature > 0)) {
      throw InvalidInputException.field(SOURCE, "temperature", "expected a number > 0 (rollouts are sampled),"
          + " found " + temperature);
    }
    if (!(cliprange > 0)) {
      throw InvalidInputException.field(SOURCE, "cliprange", "expected a number > 0, found " + cliprange);
    }
    if (!(klCoef >= 0)) {
      throw InvalidInputException.field(SOURCE, "kl_coef", "expected a number >= 0, found " + klCoef);
    }
    if (missingEosPenalty != null && !(missingEosPenalty >= 0)) {
      throw InvalidInputException.field(SOURCE, "missing_eos_penalty", "expected a number >= 0 (it is subtracted),"
          + " found " + missingEosPenalty);
    }
    if (totalEpisodes != null && totalEpisodes < 1) {
      throw InvalidInputException.field(SOURCE, "total_episodes", "expected at least 1, found " + totalEpisodes);
    }
    if (numSampleGenerations < 0) {
      throw InvalidInputException.field(SOURCE, "num_sample_generations", "expected 0 (none) or more, found "
          + numSampleGenerations);
    }
    if (stopTokenId != null && stopTokenId < 0) {
      throw InvalidInputException.field(SOURCE, "stop_token_id", "expected a token id >= 0, found " + stopTokenId);
    }
  }

  private static void positive(long v, String key) {
    if (v < 1) {
      throw InvalidInputException.field(SOURCE, key, "expected at least 1, found " + v);
    }
  }

  /**
   * The default run directory of a trained policy at {@code outputDir}: the sibling {@code <name>-run}, as the other
   * recipes place it (the recipe package's {@code RunDirs}, which also checks a given one).
   */
  static java.nio.file.Path runDirBesides(java.nio.file.Path outputDir) {
    java.nio.file.Path p = outputDir.toAbsolutePath().normalize();
    if (p.getFileName() == null) {
      throw new IllegalArgumentException("output_dir cannot be the file system root: " + outputDir);
    }
    return p.resolveSibling(p.getFileName() + "-run");
  }

  /** TRL's defaults. */
  public static OnPolicyConfig defaults() {
    return new OnPolicyConfig(53, 0.7, null, null, 1, 4, 0.2, 0.05, null, 64, 10);
  }

  /** The result-shaping keys under their recipe names, stored with each checkpoint. */
  public Map<String, Object> keys() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("response_length", responseLength);
    m.put("temperature", temperature);
    m.put("stop_token_id", stopTokenId);
    m.put("missing_eos_penalty", missingEosPenalty);
    m.put("num_mini_batches", numMiniBatches);
    m.put("num_ppo_epochs", numPpoEpochs);
    m.put("cliprange", cliprange);
    m.put("kl_coef", klCoef);
    m.put("total_episodes", totalEpisodes);
    return m;
  }

  public OnPolicyConfig withResponseLength(int v) {
    return new OnPolicyConfig(v, temperature, stopTokenId, missingEosPenalty, numMiniBatches, numPpoEpochs, cliprange,
        klCoef, totalEpisodes, localRolloutForwardBatchSize, numSampleGenerations);
  }

  public OnPolicyConfig withTemperature(double v) {
    return new OnPolicyConfig(responseLength, v, stopTokenId, missingEosPenalty, numMiniBatches, numPpoEpochs,
        cliprange, klCoef, totalEpisodes, localRolloutForwardBatchSize, numSampleGenerations);
  }

  public OnPolicyConfig withStopTokenId(Integer v) {
    return new OnPolicyConfig(responseLength, temperature, v, missingEosPenalty, numMiniBatches, numPpoEpochs,
        cliprange, klCoef, totalEpisodes, localRolloutForwardBatchSize, numSampleGenerations);
  }

  public OnPolicyConfig withMissingEosPenalty(Double v) {
    return new OnPolicyConfig(responseLength, temperature, stopTokenId, v, numMiniBatches, numPpoEpochs, cliprange,
        klCoef, totalEpisodes, localRolloutForwardBatchSize, numSampleGenerations);
  }

  public OnPolicyConfig withNumMiniBatches(int v) {
    return new OnPolicyConfig(responseLength, temperature, stopTokenId, missingEosPenalty, v, numPpoEpochs, cliprange,
        klCoef, totalEpisodes, localRolloutForwardBatchSize, numSampleGenerations);
  }

  public OnPolicyConfig withNumPpoEpochs(int v) {
    return new OnPolicyConfig(responseLength, temperature, stopTokenId, missingEosPenalty, numMiniBatches, v,
        cliprange, klCoef, totalEpisodes, localRolloutForwardBatchSize, numSampleGenerations);
  }

  public OnPolicyConfig withCliprange(double v) {
    return new OnPolicyConfig(responseLength, temperature, stopTokenId, missingEosPenalty, numMiniBatches,
        numPpoEpochs, v, klCoef, totalEpisodes, localRolloutForwardBatchSize, numSampleGenerations);
  }

  public OnPolicyConfig withKlCoef(double v) {
    return new OnPolicyConfig(responseLength, temperature, stopTokenId, missingEosPenalty, numMiniBatches,
        numPpoEpochs, cliprange, v, totalEpisodes, localRolloutForwardBatchSize, numSampleGenerations);
  }

  public OnPolicyConfig withTotalEpisodes(Long v) {
    return new OnPolicyConfig(responseLength, temperature, stopTokenId, missingEosPenalty, numMiniBatches,
        numPpoEpochs, cliprange, klCoef, v, localRolloutForwardBatchSize, numSampleGenerations);
  }

  public OnPolicyConfig withNumSampleGenerations(int v) {
    return new OnPolicyConfig(responseLength, temperature, stopTokenId, missingEosPenalty, numMiniBatches,
        numPpoEpochs, cliprange, klCoef, totalEpisodes, localRolloutForwardBatchSize, v);
  }

  public OnPolicyConfig withLocalRolloutForwardBatchSize(int v) {
    return new OnPolicyConfig(responseLength, temperature, stopTokenId, missingEosPenalty, numMiniBatches,
        numPpoEpochs, cliprange, klCoef, totalEpisodes, v, numSampleGenerations);
  }
}
