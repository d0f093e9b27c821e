package dev.zephyr.train.pipeline;

import java.nio.file.Path;
import java.util.List;

/** Progress of a pipeline run, as values a {@link PipelineListener} receives in order. */
public sealed interface PipelineEvent {

  /** The run begins; {@code plan} lists the stage ids in order. */
  record PipelineStarted(Path workDir, List<String> plan) implements PipelineEvent {}

  /** A stage starts, fresh or resuming an interrupted attempt in its directory. */
  record StageStarted(String id, String kind, Path dir, boolean resuming) implements PipelineEvent {}

  /** A stage is skipped because its configuration and input digests match a completed run. */
  record StageSkipped(String id, String kind, Path dir) implements PipelineEvent {}

  /** A running stage reports progress in [0, 1]. */
  record StageProgress(String id, String kind, double fraction, String message) implements PipelineEvent {}

  /** A stage finished (ran, resumed or skipped). */
  record StageFinished(StageResult result) implements PipelineEvent {}

  /** A stage failed; its manifest says {@code failed} and the next run resumes it. */
  record StageFailed(String id, String kind, Throwable error) implements PipelineEvent {}

  /** The run ended successfully. */
  record PipelineFinished(PipelineResult result) implements PipelineEvent {}
}
