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

  public ProviderException(String provider, int status, boolean retryable, String message, Throwable cause) {
    super(provider + ": " + message + (status > 0 ? " (HTTP " + status + ")" : "")
        + (retryable ? " [retryable]" : " [not retryable]"), cause);
    this.provider = provider;
    this.status = status;
    this.retryable = retryable;
    this.detail = message;
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

  /** What went wrong, without the provider name, status and retry note that {@link #getMessage()} adds. */
  public String detail() {
    return detail;
  }
}
