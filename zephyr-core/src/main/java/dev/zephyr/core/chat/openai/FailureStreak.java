package dev.zephyr.core.chat.openai;

import dev.zephyr.core.chat.ProviderException;
import dev.zephyr.core.chat.ProviderStoppedException;
import java.util.Set;

/**
 * Watches the final outcome of every call of one model: after {@code limit} calls in a row failed with the same
 * endpoint-level status (401, 403, 404: a wrong key, a forbidden or unknown model, which no retry and no other request
 * can fix) the model stops, and later calls fail at once without being sent. Other failures, such as a 400 that one
 * request's own content causes, and any success break the streak; once stopped, the model stays stopped.
 */
final class FailureStreak {
  /** Statuses that say the endpoint, the key or the model name is wrong rather than the request. */
  static final Set<Integer> ENDPOINT_STATUSES = Set.of(401, 403, 404);

  private final int limit;
  private int status;
  private int count;
  private ProviderException stoppedBy;

  /** @param limit identical failures in a row that stop the model; 0 never stops */
  FailureStreak(int limit) {
    if (limit < 0) {
      throw new IllegalArgumentException("stopAfterIdenticalFailures must be >= 0, got " + limit);
    }
    this.limit = limit;
  }

  /** A fresh {@link ProviderStoppedException} once the model has stopped, else null. */
  synchronized ProviderStoppedException stopped() {
    return stoppedBy == null ? null : new ProviderStoppedException(count, stoppedBy);
  }

  synchronized void success() {
    if (stoppedBy == null) {
      count = 0;
    }
  }

  synchronized void failure(ProviderException e) {
    if (stoppedBy != null) {
      return;
    }
    if (e.retryable() || !ENDPOINT_STATUSES.contains(e.status())) {
      count = 0;
      return;
    }
    if (count > 0 && e.status() == status) {
      count++;
    } else {
      status = e.status();
      count = 1;
    }
    if (limit > 0 && count >= limit) {
      stoppedBy = e;
    }
  }
}
