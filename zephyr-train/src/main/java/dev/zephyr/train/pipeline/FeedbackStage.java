package dev.zephyr.train.pipeline;

import java.nio.file.Path;
import java.util.Map;

/**
 * AI feedback, UltraFeedback style: completions from a pool of generators, judge ratings, then binarisation into
 * preference pairs. Each step is a file, so the pipeline can start from completions or ratings already collected.
 * The concrete implementation wraps zephyr-data's feedback collection.
 */
public interface FeedbackStage {

  /** Pool, judge, rubric and binarisation settings; recorded in the manifest. */
  default Map<String, Object> config() {
    return Map.of();
  }

  /**
   * Samples completions for every prompt from the generator pool into {@code ctx.dir()}. When the pipeline was told
   * that the pool samples the student ({@link Aif#samplingStudent()}), the student is {@code ctx.input("model")}.
   */
  Path completions(StageContext ctx) throws Exception;

  /** Has the judge rate every completion; returns the ratings file. */
  Path ratings(Path completions, StageContext ctx) throws Exception;

  /** Binarises ratings into preference pairs (ultrafeedback_binarized layout); returns the preferences file. */
  Path binarize(Path ratings, StageContext ctx) throws Exception;
}
