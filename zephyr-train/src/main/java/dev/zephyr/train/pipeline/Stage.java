package dev.zephyr.train.pipeline;

import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

/**
 * One step of a {@link Pipeline}, in the form the pipeline runs it. The typed stages users implement
 * ({@link SftStage}, {@link FeedbackStage}, {@link DpoStage}, {@link RewardModelStage}, {@link BestOfNStage}, the
 * core {@code Evaluation}) are adapted to this by {@link Dsft}, {@link Aif}, {@link Ddpo}, {@link RewardModeling},
 * {@link BestOfN} and {@link Evaluate}; implement it directly for a custom step and add it with
 * {@link Pipeline#then(Stage)}.
 */
public interface Stage {

  /** Short lower-case kind used in the directory name: {@code "dsft"} gives {@code 01-dsft/}. */
  String kind();

  /**
   * Everything besides input files that determines the output (hyper-parameters, model names, which variant).
   * Recorded in the manifest; any change makes the stage run again. Values must be JSON-serialisable.
   */
  Map<String, Object> config();

  /** Artifacts this stage reads from earlier stages (the student is {@link Artifacts#MODEL} from the start). */
  Set<String> requires();

  /** Artifacts the user supplied for this stage (an SFT dataset on disk, ratings already collected...). */
  Map<String, Path> given();

  /** Artifacts this stage hands on; a later stage's {@link #requires()} is checked against these before any run. */
  Set<String> produces();

  /** Does the work in {@link StageContext#dir()} and returns the produced artifacts. */
  StageOutput run(StageContext ctx) throws Exception;
}
