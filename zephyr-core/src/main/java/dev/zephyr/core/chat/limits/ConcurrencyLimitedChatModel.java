package dev.zephyr.core.chat.limits;

import dev.zephyr.core.chat.ChatModel;
import dev.zephyr.core.chat.ChatRequest;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * At most {@code maxConcurrency} requests of the wrapped model in flight at once, however many threads and batches
 * call it: each request is sent on its own from a pool of that many threads, and a batch returns when every request
 * has its outcome.
 */
public final class ConcurrencyLimitedChatModel extends DelegatingChatModel {
  private final int maxConcurrency;
  private final ExecutorService workers;

  public ConcurrencyLimitedChatModel(ChatModel delegate, int maxConcurrency) {
    super(delegate);
    if (maxConcurrency < 1) {
      throw new IllegalArgumentException("max_concurrency must be >= 1, got " + maxConcurrency);
    }
    this.maxConcurrency = maxConcurrency;
    AtomicInteger threadNo = new AtomicInteger();
    this.workers = Executors.newFixedThreadPool(maxConcurrency, r -> {
      Thread t = new Thread(r, "limit-" + delegate.name() + "-" + threadNo.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
  }

  public int maxConcurrency() {
    return maxConcurrency;
  }

  @Override
  public void completeEach(List<ChatRequest> requests, ResultHandler handler) {
    Fanout.send(delegate, requests, handler, workers, () -> { });
  }

  @Override
  public void close() {
    workers.shutdownNow();
    super.close();
  }

  @Override
  public String toString() {
    return "ConcurrencyLimitedChatModel[" + delegate + ", max_concurrency=" + maxConcurrency + "]";
  }
}
