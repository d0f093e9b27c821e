package dev.zephyr.train.pipeline;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A finished run: every stage's result in order, the model the last model-producing stage wrote, and the wall time.
 */
public record PipelineResult(
    Path workDir, Path student, Path finalModel, List<StageResult> stages, Duration elapsed) {
  public PipelineResult {
    stages = List.copyOf(stages);
  }

  /** The first stage of a kind, if the pipeline had one. */
  public Optional<StageResult> stage(String kind) {
    return stages.stream().filter(s -> s.kind().equals(kind)).findFirst();
  }

  /** The metrics of the first stage of a kind, or an empty map. */
  public Map<String, Double> metrics(String kind) {
    return stage(kind).map(StageResult::metrics).orElse(Map.of());
  }

  /** The latest artifact of that name produced by any stage. */
  public Optional<Path> artifact(String name) {
    for (int i = stages.size() - 1; i >= 0; i--) {
      Path p = stages.get(i).artifacts().get(name);
      if (p != null) {
        return Optional.of(p);
      }
    }
    return Optional.empty();
  }
}
