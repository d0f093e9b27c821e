package dev.zephyr.train.pipeline;

import java.nio.file.Path;
import java.util.Map;

/** Direct preference optimisation of a model on preference pairs; the concrete stage wraps {@code DpoTrainer}. */
public interface DpoStage {

  /** Hyper-parameters under TRL key names ({@code beta}, {@code learning_rate}...); recorded in the manifest. */
  default Map<String, Object> config() {
    return Map.of();
  }

  /**
   * Trains {@code model} (also the frozen reference) on {@code preferences} and returns the aligned model directory;
   * the metrics it records on {@code ctx} should include TRL's {@code rewards/accuracies} and {@code rewards/margins}.
   */
  Path train(Path model, Path preferences, StageContext ctx) throws Exception;
}
