package dev.zephyr.train.pipeline;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One stage of a finished run.
 *
 * @param id directory name, {@code "01-dsft"}
 * @param kind stage kind, {@code "dsft"}
 * @param dir the stage directory
 * @param status whether it ran, resumed or was skipped
 * @param artifacts what it produced (or, when skipped, what the earlier run produced)
 * @param metrics its final metrics
 * @param elapsed time spent in this run (zero when skipped)
 */
public record StageResult(
    String id,
    String kind,
    Path dir,
    Status status,
    Map<String, Path> artifacts,
    Map<String, Double> metrics,
    Duration elapsed) {

  /** How the stage got its result in this run. */
  public enum Status {
    /** Ran from an empty directory. */
    RAN,
    /** Continued an interrupted attempt. */
    RESUMED,
    /** Unchanged configuration and inputs: the earlier result was reused. */
    SKIPPED
  }

  public StageResult {
    artifacts = Collections.unmodifiableMap(new LinkedHashMap<>(artifacts));
    metrics = Collections.unmodifiableMap(new LinkedHashMap<>(metrics));
  }

  /** One artifact, or an error naming those that exist. */
  public Path artifact(String name) {
    Path p = artifacts.get(name);
    if (p == null) {
      throw new IllegalArgumentException("stage " + id + " has no artifact '" + name + "' (has " + artifacts.keySet() + ")");
    }
    return p;
  }
}
