package dev.zephyr.quickstart;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import dev.zephyr.core.io.Json;
import dev.zephyr.core.model.ModelFiles;
import dev.zephyr.core.model.safetensors.Safetensors;
import dev.zephyr.train.loop.CheckpointStore;
import dev.zephyr.train.rl.PpoTrainer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The policy of each PPO checkpoint as a Hugging Face model directory, so that the judge can grade the policy as it
 * was during training: a checkpoint's {@code model.safetensors} holds the policy's weights under their Hugging Face
 * names beside the value model's ({@code value_model.*}, left out here); {@code config.json}, the generation config and
 * the tokenizer come from the model PPO started from.
 */
final class PolicyCheckpoints {
  private PolicyCheckpoints() {}

  /** A policy at an update. */
  record Step(long step, Path model) {}

  /**
   * Writes {@code outRoot/step-N} for every checkpoint in {@code runDir} (oldest first), each replacing what was there.
   *
   * @param startModel the model PPO started from (its configuration and tokenizer)
   */
  static List<Step> export(Path runDir, Path startModel, Path outRoot) throws IOException {
    JsonNode config = Json.mapper().readTree(startModel.resolve("config.json").toFile());
    Path generation = startModel.resolve("generation_config.json");
    JsonNode generationConfig = Files.isRegularFile(generation) ? Json.mapper().readTree(generation.toFile()) : null;
    List<Step> steps = new ArrayList<>();
    for (Path checkpoint : new CheckpointStore(runDir).list()) {
      long step = Long.parseLong(checkpoint.getFileName().toString().substring("checkpoint-".length()));
      Path target = outRoot.resolve("step-" + step);
      try (NDManager m = NDManager.newBaseManager()) {
        Map<String, NDArray> policy = Safetensors.load(checkpoint.resolve(Safetensors.SINGLE_FILE), m,
            name -> !name.startsWith(PpoTrainer.VALUE_PREFIX));
        ModelFiles.saveDirectory(target, config, generationConfig, policy, startModel);
      }
      steps.add(new Step(step, target));
    }
    return steps;
  }
}
