package dev.zephyr.train.pipeline;

import java.nio.file.Path;
import java.util.Map;

/** ALMoST step 2: demonstrations chosen best-of-N by a reward model (reward-model-guided self-play). */
public interface BestOfNStage {

  default Map<String, Object> config() {
    return Map.of();
  }

  /** Samples N responses per turn from {@code policy}, keeps the best by {@code rewardModel}, returns the SFT file. */
  Path demonstrations(Path policy, Path rewardModel, StageContext ctx) throws Exception;
}
