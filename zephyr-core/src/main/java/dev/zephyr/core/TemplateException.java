package dev.zephyr.core;

/**
 * A chat template that raised (for example through {@code raise_exception}) or that uses a construct we cannot render
 * faithfully. Carries the template's own message.
 */
public class TemplateException extends ZephyrException {
  public TemplateException(String message) {
    super(message);
  }

  public TemplateException(String message, Throwable cause) {
    super(message, cause);
  }
}
