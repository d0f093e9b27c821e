package dev.zephyr.core;

import java.util.Objects;

/**
 * Input that does not have the expected shape. Names where the problem is: the source (a file path or a logical name),
 * the 1-based line when the source is line oriented, and the field.
 */
public class InvalidInputException extends ZephyrException {
  private final String source;
  private final long line;
  private final String field;
  private final String reason;

  public InvalidInputException(String source, long line, String field, String message) {
    this(source, line, field, message, null);
  }

  public InvalidInputException(String source, long line, String field, String message, Throwable cause) {
    super(describe(source, line, field, message), cause);
    this.source = source;
    this.line = line;
    this.field = field;
    this.reason = message;
  }

  /** An error about a field with no line (configs, headers). */
  public static InvalidInputException field(String source, String field, String message) {
    return new InvalidInputException(source, 0, field, message);
  }

  private static String describe(String source, long line, String field, String message) {
    StringBuilder sb = new StringBuilder();
    if (source != null) {
      sb.append(source);
    }
    if (line > 0) {
      sb.append(sb.length() > 0 ? ":" : "line ").append(line);
    }
    if (field != null) {
      sb.append(sb.length() > 0 ? ": " : "").append("field '").append(field).append('\'');
    }
    return sb.length() > 0 ? sb + ": " + Objects.requireNonNullElse(message, "") : message;
  }

  /** File path or logical name of the input; may be null. */
  public String source() {
    return source;
  }

  /** 1-based line number, or 0 when the input is not line oriented. */
  public long line() {
    return line;
  }

  /** The same error about another source (a record validated without knowing its file, then named by its loader). */
  public InvalidInputException withSource(String newSource) {
    return new InvalidInputException(newSource, line, field, reason, getCause());
  }

  /** What is wrong, without the source and field. */
  public String reason() {
    return reason;
  }

  /** Offending field or key; may be null. */
  public String field() {
    return field;
  }
}
