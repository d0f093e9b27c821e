package dev.zephyr.train.pipeline;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/** Small helpers shared by the stage adapters. */
final class Steps {
  private Steps() {}

  /** The typed stage's config, or an empty map (Mockito mocks return null for some map types). */
  static Map<String, Object> configOf(Map<String, Object> config) {
    return config == null ? Map.of() : config;
  }

  /** A config map with the variant first, then the typed stage's own settings. */
  static Map<String, Object> variantConfig(String source, Path path, Map<String, Object> stageConfig) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("source", source);
    if (stageConfig != null) {
      m.put("stage", configOf(stageConfig));
    }
    return m;
  }

  /** Fails clearly when a typed stage returns no path. */
  static Path returned(Path p, StageContext ctx, String what) {
    if (p == null) {
      throw new PipelineException(ctx.id(), what + " returned no path");
    }
    return p;
  }

  static <T> T require(T value, String name) {
    return Objects.requireNonNull(value, name);
  }
}
