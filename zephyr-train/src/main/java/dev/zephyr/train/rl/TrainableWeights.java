package dev.zephyr.train.rl;

import ai.djl.ndarray.NDArray;
import dev.zephyr.train.loop.CheckpointWeights;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Parameters an on-policy trainer updates, with the checkpoint layout that stores them: a full model's weights in
 * {@code model.safetensors}, or a LoRA adapter as PEFT files (TRL's checkpoints of a PEFT policy).
 *
 * @param parameters the arrays the optimizer updates, by unique name
 * @param format how a checkpoint writes and reads them back
 */
public record TrainableWeights(Map<String, NDArray> parameters, CheckpointWeights format) {
  public TrainableWeights {
    parameters = new LinkedHashMap<>(Objects.requireNonNull(parameters, "parameters"));
    Objects.requireNonNull(format, "format");
    if (parameters.isEmpty()) {
      throw new IllegalArgumentException("no trainable parameters");
    }
  }

  /** Every weight of a model, checkpointed in {@code model.safetensors}. */
  public static TrainableWeights full(Map<String, NDArray> parameters) {
    return new TrainableWeights(parameters, CheckpointWeights.MODEL);
  }
}
