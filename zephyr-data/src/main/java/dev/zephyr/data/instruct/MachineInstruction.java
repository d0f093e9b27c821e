package dev.zephyr.data.instruct;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.LinkedHashMap;

/**
 * A kept machine-generated instruction, as Self-Instruct's {@code machine_generated_instructions.jsonl} stores it (without the raw API
 * response it keeps under {@code metadata}).
 *
 * @param instruction the normalised instruction
 * @param mostSimilarInstructions up to 10 pool instructions with the highest ROUGE-L F1, best first
 * @param avgSimilarityScore mean ROUGE-L F1 against the whole pool at the time it was kept
 * @param requestIdx the generation batch (round) that produced it; resuming continues after the largest
 */
public record MachineInstruction(
    @JsonProperty("instruction") String instruction,
    @JsonProperty("most_similar") LinkedHashMap<String, Double> mostSimilarInstructions,
    @JsonProperty("avg_similarity_score") double avgSimilarityScore,
    @JsonProperty("request_idx") int requestIdx) {

  public MachineInstruction {
    mostSimilarInstructions = mostSimilarInstructions == null ? new LinkedHashMap<>() : mostSimilarInstructions;
  }
}
