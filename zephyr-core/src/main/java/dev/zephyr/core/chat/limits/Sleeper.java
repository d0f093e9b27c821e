package dev.zephyr.core.chat.limits;

import dev.zephyr.core.chat.ProviderException;

/** Waits; tests pass one that records the waits and advances a fake clock instead. */
@FunctionalInterface
public interface Sleeper {
  /** Waits {@code millis} milliseconds. */
  void sleep(long millis) throws InterruptedException;

  /** The real one. */
  Sleeper SYSTEM = Thread::sleep;

  /** Waits, turning an interrupt into a retryable failure of {@code provider} (and keeping the interrupt flag). */
  static void sleepOrFail(Sleeper sleeper, long millis, String provider, String why) {
    if (millis <= 0) {
      return;
    }
    try {
      sleeper.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ProviderException(provider, 0, true, "interrupted " + why, e);
    }
  }
}
