package dev.zephyr.core;

/** Root of zephyr's exception family; every error the library raises on purpose is one of these. */
public class ZephyrException extends RuntimeException {
  public ZephyrException(String message) {
    super(message);
  }

  public ZephyrException(String message, Throwable cause) {
    super(message, cause);
  }
}
