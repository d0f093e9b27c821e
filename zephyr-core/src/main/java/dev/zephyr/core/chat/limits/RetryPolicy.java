package dev.zephyr.core.chat.limits;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * How {@link RetryingChatModel} waits between attempts: exponential backoff from {@code initialBackoff}, growing
 * {@code multiplier} times per retry up to {@code maxBackoff}, plus up to {@code jitter} (a fraction) at random, and
 * never shorter than the server's {@code Retry-After}.
 *
 * @param maxRetries attempts after the first; 0 never retries
 */
public record RetryPolicy(int maxRetries, Duration initialBackoff, double multiplier, Duration maxBackoff,
    double jitter) {
  /** Two retries, 500 ms growing 1.5x up to 60 s, 20% jitter. */
  public static final RetryPolicy DEFAULT = new RetryPolicy(2, Duration.ofMillis(500), 1.5, Duration.ofSeconds(60), 0.2);

  public RetryPolicy {
    if (maxRetries < 0) {
      throw new IllegalArgumentException("max_retries must be >= 0, got " + maxRetries);
    }
    if (initialBackoff.isNegative() || maxBackoff.isNegative()) {
      throw new IllegalArgumentException("backoff must not be negative");
    }
    if (!(multiplier >= 1) || !(jitter >= 0 && jitter <= 1)) {
      throw new IllegalArgumentException("backoff multiplier must be >= 1 and jitter in [0, 1], got " + multiplier
          + " and " + jitter);
    }
  }

  /** The default policy with another retry count. */
  public static RetryPolicy retries(int maxRetries) {
    return DEFAULT.withMaxRetries(maxRetries);
  }

  public RetryPolicy withMaxRetries(int n) {
    return new RetryPolicy(n, initialBackoff, multiplier, maxBackoff, jitter);
  }

  public RetryPolicy withInitialBackoff(Duration d) {
    return new RetryPolicy(maxRetries, d, multiplier, maxBackoff, jitter);
  }

  public RetryPolicy withJitter(double j) {
    return new RetryPolicy(maxRetries, initialBackoff, multiplier, maxBackoff, j);
  }

  /** The wait before retry number {@code retry} (0 for the first retry). */
  public long backoffMillis(int retry, long retryAfterMillis) {
    double base = initialBackoff.toMillis() * Math.pow(multiplier, retry);
    double jittered = base * (1 + jitter * ThreadLocalRandom.current().nextDouble());
    long wait = (long) Math.min(jittered, maxBackoff.toMillis());
    return Math.max(wait, retryAfterMillis);
  }
}
