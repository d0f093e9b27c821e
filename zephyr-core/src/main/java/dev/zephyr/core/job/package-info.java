/**
 * What a job that calls models reports at its end. A call that still fails after its retries is written to the job's
 * {@link dev.zephyr.core.job.FailureLog} (never into its outputs, so no reader can take it for a result), its item is
 * retried by the next run in the same place, and {@link dev.zephyr.core.job.WorkCounts} tells done, failed and pending
 * items apart so that the command line can exit non-zero whenever anything is not done.
 */
package dev.zephyr.core.job;
