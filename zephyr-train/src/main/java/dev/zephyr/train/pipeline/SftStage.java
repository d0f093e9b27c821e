package dev.zephyr.train.pipeline;

import java.nio.file.Path;
import java.util.Map;

/**
 * Distilled supervised fine-tuning: teacher demonstrations, then SFT of the student on them. The concrete
 * implementation wraps zephyr-data's demonstration generators and zephyr-train's {@code SftTrainer}.
 */
public interface SftStage {

  /** Hyper-parameters and teacher settings, under Hugging Face / TRL key names; recorded in the manifest. */
  default Map<String, Object> config() {
    return Map.of();
  }

  /**
   * Writes demonstrations (JSONL with {@code messages}) into {@code ctx.dir()} and returns the file. Only called
   * when the pipeline was not given a dataset; resumes a partial file when {@code ctx.resuming()}.
   */
  default Path demonstrations(StageContext ctx) {
    throw new UnsupportedOperationException(
        "this SFT stage cannot generate demonstrations; give a dataset with Dsft.of(stage).fromDataset(path)");
  }

  /**
   * Fine-tunes {@code model} on {@code dataset} and returns the trained Hugging Face model directory (inside
   * {@code ctx.dir()}); resumes from the newest checkpoint there when {@code ctx.resuming()}.
   */
  Path train(Path model, Path dataset, StageContext ctx) throws Exception;
}
