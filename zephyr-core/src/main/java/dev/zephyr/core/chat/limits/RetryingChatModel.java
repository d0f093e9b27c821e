package dev.zephyr.core.chat.limits;

import dev.zephyr.core.chat.ChatModel;
import dev.zephyr.core.chat.ChatRequest;
import dev.zephyr.core.chat.ProviderException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Retries the requests of any {@link ChatModel} that failed with a retryable {@link ProviderException} (429, 5xx,
 * timeouts, broken bodies), with the backoff of a {@link RetryPolicy}; a failure that cannot succeed later (another
 * 4xx, a stopped model) reaches the caller at once. A batch is retried in rounds: every request that failed in a round
 * is sent again after one wait, so one slow failure does not hold back the others' results, which are handed on as
 * soon as they exist.
 */
public final class RetryingChatModel extends DelegatingChatModel {
  private static final Logger LOG = LoggerFactory.getLogger(RetryingChatModel.class);

  private final RetryPolicy policy;
  private final Sleeper sleeper;

  public RetryingChatModel(ChatModel delegate, RetryPolicy policy) {
    this(delegate, policy, Sleeper.SYSTEM);
  }

  /** With an injected {@link Sleeper} (tests record the waits instead of waiting). */
  public RetryingChatModel(ChatModel delegate, RetryPolicy policy, Sleeper sleeper) {
    super(delegate);
    this.policy = policy;
    this.sleeper = sleeper;
  }

  public RetryPolicy policy() {
    return policy;
  }

  @Override
  public void completeEach(List<ChatRequest> requests, ResultHandler handler) {
    List<Integer> pending = new ArrayList<>();
    for (int i = 0; i < requests.size(); i++) {
      pending.add(i);
    }
    for (int attempt = 0; !pending.isEmpty(); attempt++) {
      List<ChatRequest> round = pending.stream().map(requests::get).toList();
      Map<Integer, ProviderException> retry = new TreeMap<>();
      List<Integer> indices = List.copyOf(pending);
      int attemptNo = attempt;
      delegate.completeEach(round, (j, response, failure) -> {
        int i = indices.get(j);
        if (failure == null) {
          handler.onResult(i, response, null);
        } else if (!failure.retryable()) {
          handler.onResult(i, null, failure);
        } else if (attemptNo >= policy.maxRetries()) {
          handler.onResult(i, null, gaveUp(failure, attemptNo + 1));
        } else {
          synchronized (retry) {
            retry.put(i, failure);
          }
        }
      });
      if (retry.isEmpty()) {
        return;
      }
      long retryAfter = retry.values().stream().mapToLong(ProviderException::retryAfterMillis).max().orElse(0);
      long wait = policy.backoffMillis(attempt, retryAfter);
      LOG.debug("{}: {} request(s) failed on attempt {} ({}); retrying in {} ms", name(), retry.size(), attempt + 1,
          retry.values().iterator().next().getMessage(), wait);
      Sleeper.sleepOrFail(sleeper, wait, name(), "during retry backoff");
      pending = new ArrayList<>(retry.keySet());
    }
  }

  private ProviderException gaveUp(ProviderException last, int attempts) {
    if (attempts == 1) {
      return last;
    }
    return new ProviderException(last.provider(), last.status(), true,
        "gave up after " + attempts + " attempts; last: " + last.getMessage(), last);
  }

  @Override
  public String toString() {
    return "RetryingChatModel[" + delegate + ", max_retries=" + policy.maxRetries() + "]";
  }
}
