package dev.zephyr.core.chat.limits;

import dev.zephyr.core.chat.ChatModel;
import dev.zephyr.core.chat.ChatRequest;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;

/**
 * Starts at most {@code requestsPerMinute} requests of the wrapped model per minute, evenly spaced (a provider's
 * quota, such as OpenAI's RPM tier, without a storm of 429s): each request takes the next free start slot, waits for
 * it, and is then sent without waiting for the ones before it to finish. Slots are shared by every caller.
 */
public final class RateLimitedChatModel extends DelegatingChatModel {
  private final double requestsPerMinute;
  private final long intervalNanos;
  private final LongSupplier nanoClock;
  private final Sleeper sleeper;
  private final ExecutorService senders;
  private long nextSlotNanos = Long.MIN_VALUE;

  public RateLimitedChatModel(ChatModel delegate, double requestsPerMinute) {
    this(delegate, requestsPerMinute, System::nanoTime, Sleeper.SYSTEM);
  }

  /** With an injected clock and sleeper (tests advance a fake clock instead of waiting). */
  public RateLimitedChatModel(ChatModel delegate, double requestsPerMinute, LongSupplier nanoClock,
      Sleeper sleeper) {
    super(delegate);
    if (!(requestsPerMinute > 0) || Double.isInfinite(requestsPerMinute)) {
      throw new IllegalArgumentException("requests_per_minute must be > 0, got " + requestsPerMinute);
    }
    this.requestsPerMinute = requestsPerMinute;
    this.intervalNanos = (long) (60e9 / requestsPerMinute);
    this.nanoClock = nanoClock;
    this.sleeper = sleeper;
    AtomicInteger threadNo = new AtomicInteger();
    // unbounded: how many are in flight is the rate times the latency; the wrapped model bounds its own concurrency
    this.senders = Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "rate-" + delegate.name() + "-" + threadNo.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
  }

  public double requestsPerMinute() {
    return requestsPerMinute;
  }

  @Override
  public void completeEach(List<ChatRequest> requests, ResultHandler handler) {
    Fanout.send(delegate, requests, handler, senders, this::awaitSlot);
  }

  /** Takes the next start slot and waits until it comes. */
  private void awaitSlot() {
    long waitNanos;
    synchronized (this) {
      long now = nanoClock.getAsLong();
      long slot = nextSlotNanos == Long.MIN_VALUE ? now : Math.max(nextSlotNanos, now);
      nextSlotNanos = slot + intervalNanos;
      waitNanos = slot - now;
    }
    Sleeper.sleepOrFail(sleeper, (waitNanos + 999_999) / 1_000_000, name(), "while waiting for a rate-limit slot");
  }

  @Override
  public void close() {
    senders.shutdownNow();
    super.close();
  }

  @Override
  public String toString() {
    return "RateLimitedChatModel[" + delegate + ", requests_per_minute=" + requestsPerMinute + "]";
  }
}
