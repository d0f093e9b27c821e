package dev.zephyr.core;

/**
 * A chat template stopped by one of its limits (render time, output size, nesting depth, argument size): the message
 * names the limit, its value and how to change it. Rendering the same template again would fail the same way.
 */
public class TemplateLimitException extends TemplateException {
  public TemplateLimitException(String message) {
    super(message);
  }
}
