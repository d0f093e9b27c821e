package dev.zephyr.core.chat;

import dev.zephyr.core.ZephyrException;

/**
 * A model provider call that failed. {@link #retryable()} says whether the same call may succeed later (429, 5xx,
 * timeouts, broken bodies) or cannot (other 4xx, bad credentials). {@link #status()} is the HTTP status, or 0.
 */
public class ProviderException extends ZephyrException {
  private final String provider;
  private final int status;
  private final boolean retryable;
  private final String detail;
  private final long retryAfterMillis;

  public ProviderException(String provider, int status, boolean retryable, String message, Throwable cause) {
    this(provider, status, retryable, message, cause, 0);
  }

  /**
   * @param retryAfterMillis how long the server asked to wait before the next call (its {@code Retry-After}), 0 when
   *     it did not say
   */
  public ProviderException(String provider, int status, boolean retryable, String message, Throwable cause,
      long retryAfterMillis) {
    super(provider + ": " + message + (status > 0 ? " (HTTP " + status + ")" : "")
        + (retryable ? " [retryable]" : " [not retryable]"), cause);
    this.provider = provider;
    this.status = status;
    this.retryable = retryable;
    this.detail = message;
    this.retryAfterMillis = Math.max(0, retryAfterMillis);
  }

  public ProviderException(String provider, int status, boolean retryable, String message) {
    this(provider, status, retryable, message, null);
  }

  public String provider() {
    return provider;
  }

  public int status() {
    return status;
  }

  public boolean retryable() {
    return retryable;
  }

  /** The wait the server asked for before the next call, in milliseconds; 0 when it asked for none. */
  public long retryAfterMillis() {
    return retryAfterMillis;
  }

  /** What went wrong, without the provider name, status and retry note that {@link #getMessage()} adds. */
  public String detail() {
    return detail;
  }
}
