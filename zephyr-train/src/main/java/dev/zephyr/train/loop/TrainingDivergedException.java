package dev.zephyr.train.loop;

import dev.zephyr.core.ZephyrException;
import java.nio.file.Path;

/** The loss or gradient norm became NaN or infinite; the run stopped before applying the update. */
public final class TrainingDivergedException extends ZephyrException {
  private final long step;
  private final Path lastGoodCheckpoint;

  public TrainingDivergedException(String what, double value, long step, Path lastGoodCheckpoint) {
    super(what + " is " + value + " at step " + step + "; the update was not applied and training stopped. "
        + (lastGoodCheckpoint == null
            ? "No checkpoint was written yet."
            : "Last good checkpoint: " + lastGoodCheckpoint)
        + " Lower the learning rate, check the data of this step, or enable gradient clipping.");
    this.step = step;
    this.lastGoodCheckpoint = lastGoodCheckpoint;
  }

  /** 1-based step at which the non-finite value appeared. */
  public long step() {
    return step;
  }

  /** The newest complete checkpoint on disk, or null. */
  public Path lastGoodCheckpoint() {
    return lastGoodCheckpoint;
  }
}
