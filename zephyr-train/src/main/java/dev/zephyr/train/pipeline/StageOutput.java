package dev.zephyr.train.pipeline;

import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/** What a stage hands on: artifacts by name (see {@link Artifacts}) and its final metrics. */
public record StageOutput(Map<String, Path> artifacts, Map<String, Double> metrics) {
  public StageOutput {
    artifacts = Collections.unmodifiableMap(new LinkedHashMap<>(artifacts));
    metrics = Collections.unmodifiableMap(new LinkedHashMap<>(metrics == null ? Map.of() : metrics));
  }

  public static StageOutput of(Map<String, Path> artifacts) {
    return new StageOutput(artifacts, Map.of());
  }
}
