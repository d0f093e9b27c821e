package dev.zephyr.core.progress;

/**
 * Where a long loop reports how far it is: training steps, prompts answered, judge calls, rows tokenized. A loop
 * {@linkplain #start starts} a task with its total, reports work as it finishes and closes the task when it ends
 * (completed or not):
 *
 * <pre>{@code
 * try (Progress.Task task = progress.start("answer", "questions", todo.size() + done, done)) {
 *   for (List<Question> batch : batches) {
 *     ...
 *     task.advance(batch.size(), generatedTokens);
 *   }
 * }
 * }</pre>
 *
 * <p>Library code takes a {@code Progress} as an optional setting that defaults to {@link #NONE}; an application
 * that wants bars passes {@link ConsoleProgress#stderr()}.
 */
@FunctionalInterface
public interface Progress {

  /** Reports nowhere. */
  Progress NONE = (task, unit, total, alreadyDone) -> Task.NONE;

  /**
   * A task begins.
   *
   * @param task short name shown before the count ({@code "train"}, {@code "judge"})
   * @param unit what is counted, plural ({@code "steps"}, {@code "prompts"}, {@code "calls"})
   * @param total units of the whole task, including those done before
   * @param alreadyDone units an earlier, interrupted run finished; rate and ETA count only the work after them
   */
  Task start(String task, String unit, long total, long alreadyDone);

  /**
   * The same reports with task names prefixed by a scope, {@code [scope] task}; scoping a scoped progress joins the
   * scopes with {@code /} ({@code [zephyr/01-dsft] train}).
   */
  default Progress scoped(String scope) {
    return this == NONE ? NONE : new ScopedProgress(this, scope);
  }

  /** One running task. Its methods may be called from several threads. */
  @FunctionalInterface
  interface Task extends AutoCloseable {

    /** Does nothing. */
    Task NONE = (units, tokens) -> {};

    /** {@code units} more are done, having processed {@code tokens} tokens (0 when the loop does not count them). */
    void advance(long units, long tokens);

    /** {@code units} more are done. */
    default void advance(long units) {
      advance(units, 0);
    }

    /** A short text shown after the rate, replacing the previous one ({@code "loss 0.4312"}). */
    default void status(String text) {}

    /** The task ended, completed or not (nothing to release by default). */
    @Override
    default void close() {}
  }
}
