package dev.zephyr.train.pipeline;

import dev.zephyr.core.ZephyrException;

/** A pipeline that cannot be planned (a stage lacks an input) or a stage that failed; names the stage. */
public class PipelineException extends ZephyrException {
  private final String stageId;

  public PipelineException(String stageId, String message) {
    this(stageId, message, null);
  }

  public PipelineException(String stageId, String message, Throwable cause) {
    super(stageId == null ? message : "stage " + stageId + ": " + message, cause);
    this.stageId = stageId;
  }

  /** The stage directory name ({@code "02-aif"}), or null for whole-pipeline problems. */
  public String stageId() {
    return stageId;
  }
}
