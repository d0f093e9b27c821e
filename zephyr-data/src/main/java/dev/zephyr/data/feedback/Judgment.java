package dev.zephyr.data.feedback;

/**
 * The outcome of parsing one judge answer: a value, or the reason it was rejected. Rejected answers are retried and in
 * the end recorded with their raw text; they are never turned into a score.
 */
public record Judgment<T>(T value, String error) {
  public static <T> Judgment<T> ok(T value) {
    return new Judgment<>(value, null);
  }

  public static <T> Judgment<T> rejected(String error) {
    return new Judgment<>(null, error);
  }

  public boolean ok() {
    return error == null;
  }
}
