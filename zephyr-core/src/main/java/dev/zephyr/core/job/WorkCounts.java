package dev.zephyr.core.job;

/**
 * Where a job's items stand when it ends.
 *
 * @param unit what an item is, plural ({@code prompts}, {@code questions}, {@code judgments})
 * @param done items whose results are in the job's outputs, from this run or an earlier one
 * @param failed items a call of which failed for good in this run; the failures file says why, the next run retries
 * @param pending items neither done nor failed: not reached because the job stopped, or never sent
 */
public record WorkCounts(String unit, long done, long failed, long pending) {
  public WorkCounts {
    if (done < 0 || failed < 0 || pending < 0) {
      throw new IllegalArgumentException("counts must be >= 0, got done " + done + ", failed " + failed
          + ", pending " + pending);
    }
  }

  /** Counts of {@code total} items of which {@code done} are done and {@code failed} failed; the rest are pending. */
  public static WorkCounts of(String unit, long total, long done, long failed) {
    if (done + failed > total) {
      throw new IllegalArgumentException(unit + ": " + done + " done and " + failed + " failed exceed " + total);
    }
    return new WorkCounts(unit, done, failed, total - done - failed);
  }

  /** Every item of the job. */
  public long total() {
    return done + failed + pending;
  }

  /** True when nothing failed and nothing is pending: the only outcome a command reports with exit code 0. */
  public boolean complete() {
    return failed == 0 && pending == 0;
  }

  /** {@code prompts: 8 done, 1 failed, 3 pending}. */
  public String line() {
    return unit + ": " + done + " done, " + failed + " failed, " + pending + " pending";
  }

  @Override
  public String toString() {
    return line();
  }
}
