package dev.zephyr.train.pipeline;

import java.nio.file.Path;
import java.util.Map;

/** ALMoST step 1: synthetic comparisons from ranked generator configurations, then a reward model trained on them. */
public interface RewardModelStage {

  default Map<String, Object> config() {
    return Map.of();
  }

  /** Writes synthetic comparisons into {@code ctx.dir()}; only called when none were given. */
  default Path comparisons(StageContext ctx) throws Exception {
    throw new UnsupportedOperationException(
        "this reward-model stage cannot generate comparisons;"
            + " give them with RewardModeling.of(stage).fromComparisons(path)");
  }

  /** Trains a reward model initialised from {@code model} and returns its directory. */
  Path train(Path model, Path comparisons, StageContext ctx) throws Exception;
}
