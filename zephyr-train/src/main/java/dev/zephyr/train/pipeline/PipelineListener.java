package dev.zephyr.train.pipeline;

/** Receives {@link PipelineEvent}s on the thread that runs the pipeline. */
@FunctionalInterface
public interface PipelineListener {
  void onEvent(PipelineEvent event);
}
