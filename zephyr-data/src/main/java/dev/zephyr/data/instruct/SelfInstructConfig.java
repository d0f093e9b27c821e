package dev.zephyr.data.instruct;

import dev.zephyr.core.chat.SamplingParams;
import java.util.List;
import java.util.Objects;

/**
 * Settings of Self-Instruct instruction generation. Defaults are the original's: 8 in-context instructions of which
 * up to 2 come from the machine pool, 5 prompts per batch, ROUGE-L threshold 0.7 (drop when above), decoding at
 * temperature 0.7, top_p 0.5, 1024 tokens, stop at a blank line or item 16.
 *
 * @param header text placed before the numbered in-context list; a newline is added when missing
 * @param targetInstructions stop once this many machine instructions have been kept
 * @param promptInstructions in-context instructions per prompt
 * @param machineInstructions at most this many of them come from the machine pool
 * @param batchSize prompts sent per {@code ChatModel.complete} call
 * @param rougeThreshold a candidate is dropped when its highest ROUGE-L F1 against the pool is above this
 * @param maxRounds safety stop: give up after this many batches even when the target is not reached
 * @param seed seeds every random choice
 * @param sampling decoding parameters (each request also gets its own derived seed)
 */
public record SelfInstructConfig(
    String header,
    int targetInstructions,
    int promptInstructions,
    int machineInstructions,
    int batchSize,
    double rougeThreshold,
    int maxRounds,
    long seed,
    SamplingParams sampling) {

  /** Our own default header, in our own words. */
  public static final String DEFAULT_HEADER =
      "Brainstorm a numbered list of new and varied tasks. Write each one as an instruction that a person could "
          + "give to a helpful AI assistant:\n";

  /** Our own header for classification-only generation (the original's {@code --use_clf_seed_tasks_only}). */
  public static final String DEFAULT_CLASSIFICATION_HEADER =
      "Brainstorm a numbered list of new classification tasks. Where you can, name the labels that the answer "
          + "must be chosen from:\n";

  public SelfInstructConfig {
    Objects.requireNonNull(header, "header");
    Objects.requireNonNull(sampling, "sampling");
    if (!header.endsWith("\n")) {
      header = header + "\n";
    }
    require(targetInstructions >= 1, "target_instructions must be >= 1");
    require(promptInstructions >= 1, "prompt_instructions must be >= 1");
    require(machineInstructions >= 0 && machineInstructions <= promptInstructions,
        "machine_instructions must be in [0, prompt_instructions]");
    require(batchSize >= 1, "batch_size must be >= 1");
    require(rougeThreshold >= 0 && rougeThreshold <= 1, "rouge_threshold must be in [0, 1]");
    require(maxRounds >= 1, "max_rounds must be >= 1");
  }

  private static void require(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException(message);
    }
  }

  /** The original decoding parameters of instruction generation (presence_penalty 2 included). */
  public static SamplingParams originalSampling() {
    return SamplingParams.builder()
        .temperature(0.7)
        .topP(0.5)
        .presencePenalty(2)
        .maxTokens(1024)
        .stop(List.of("\n\n", "\n16", "16.", "16 ."))
        .build();
  }

  /** Original settings with our own header and the given target and seed. */
  public static SelfInstructConfig defaults(int targetInstructions, long seed) {
    return new SelfInstructConfig(DEFAULT_HEADER, targetInstructions, 8, 2, 5, 0.7,
        Math.max(100, targetInstructions * 10), seed, originalSampling());
  }

  public SelfInstructConfig withBatchSize(int newBatchSize) {
    return new SelfInstructConfig(header, targetInstructions, promptInstructions, machineInstructions, newBatchSize,
        rougeThreshold, maxRounds, seed, sampling);
  }
}
