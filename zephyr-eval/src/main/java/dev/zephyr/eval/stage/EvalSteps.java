package dev.zephyr.eval.stage;

import dev.zephyr.core.ZephyrException;
import dev.zephyr.core.chat.ChatModel;
import dev.zephyr.core.job.WorkCounts;
import java.nio.file.Files;
import java.nio.file.Path;

/** What both evaluations do between their steps. */
final class EvalSteps {
  private EvalSteps() {}

  /**
   * Fails the evaluation unless every item of a step is done, so no metric is computed from partial answers or
   * judgments; a rerun of the stage retries what failed.
   */
  static void requireDone(String step, WorkCounts counts, Path failures, String stopReason) {
    if (stopReason != null || !counts.complete()) {
      throw new ZephyrException(step + " not finished (" + counts.line() + ")"
          + (stopReason != null ? "; stopped: " + stopReason : "")
          + (failures != null && Files.exists(failures) ? "; failed calls are listed in " + failures : "")
          + "; run the stage again to retry");
    }
  }

  /** A file-name-safe id for the model under test ({@code 03-ddpo/model} becomes {@code 03-ddpo_model}). */
  static String modelId(ChatModel model) {
    return model.name().replaceAll("[^A-Za-z0-9._-]", "_");
  }
}
