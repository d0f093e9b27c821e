package dev.zephyr.train.pipeline;

import java.nio.file.Path;
import java.util.List;

/**
 * The course of a pipeline run, stage by stage, as values a {@link PipelineListener} receives in order. Progress
 * within a stage (steps, prompts, calls) goes to {@link Pipeline#progress} instead.
 */
public sealed interface PipelineEvent {

  /** The run begins; {@code plan} lists the stage ids in order. */
  record PipelineStarted(Path workDir, List<String> plan) implements PipelineEvent {}

  /** A stage starts, fresh or resuming an interrupted attempt in its directory. */
  record StageStarted(String id, String kind, Path dir, boolean resuming) implements PipelineEvent {}

  /** A stage is skipped because its configuration and input digests match a completed run. */
  record StageSkipped(String id, String kind, Path dir) implements PipelineEvent {}

  /** A stage finished (ran, resumed or skipped). */
  record StageFinished(StageResult result) implements PipelineEvent {}

  /** A stage failed; its manifest says {@code failed} and the next run resumes it. */
  record StageFailed(String id, String kind, Throwable error) implements PipelineEvent {}

  /** The run ended successfully. */
  record PipelineFinished(PipelineResult result) implements PipelineEvent {}
}
