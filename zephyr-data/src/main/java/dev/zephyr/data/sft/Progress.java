package dev.zephyr.data.sft;

/**
 * Where long generation loops report how far they are (the command line draws a progress bar with throughput and
 * ETA from it). Calls come from the generating thread.
 */
public interface Progress {
  /** Does nothing. */
  Progress NONE = new Progress() {
    @Override
    public void start(String task, long total, long alreadyDone) {}

    @Override
    public void advance(long units) {}

    @Override
    public void finish() {}
  };

  /** A task with {@code total} units begins, {@code alreadyDone} of them finished by an earlier run. */
  void start(String task, long total, long alreadyDone);

  /** {@code units} more are done. */
  void advance(long units);

  /** The task ended (completed or not). */
  void finish();
}
