package dev.zephyr.core;

/** A model directory, weights file or training checkpoint that cannot be read or written. */
public class CheckpointException extends ZephyrException {
  public CheckpointException(String message) {
    super(message);
  }

  public CheckpointException(String message, Throwable cause) {
    super(message, cause);
  }
}
