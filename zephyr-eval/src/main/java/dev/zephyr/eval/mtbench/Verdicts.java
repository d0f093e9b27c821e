package dev.zephyr.eval.mtbench;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses judge answers as FastChat does. Rating: the first {@code [[n]]} ({@code \[\[(\d+\.?\d*)\]\]}) anywhere, else
 * the first {@code [n]}; the number as Python's {@code ast.literal_eval} reads it (an int unless it has a dot); no
 * range check; -1 when neither matches. Pairwise: substring tests in the order {@code [[A]]}, {@code [[B]]},
 * {@code [[C]]} (tie), else "error".
 */
public final class Verdicts {
  private static final Pattern ONE_SCORE = Pattern.compile("\\[\\[(\\d+\\.?\\d*)\\]\\]");
  private static final Pattern ONE_SCORE_BACKUP = Pattern.compile("\\[(\\d+\\.?\\d*)\\]");
  private static final Pattern TWO_SCORE = Pattern.compile("\\[\\[(\\d+\\.?\\d*),\\s?(\\d+\\.?\\d*)\\]\\]");
  private static final Pattern TWO_SCORE_BACKUP = Pattern.compile("\\[(\\d+\\.?\\d*),\\s?(\\d+\\.?\\d*)\\]");
  /** FastChat's {@code TIE_DELTA} for two-score verdicts. */
  public static final double TIE_DELTA = 0.1;
  /** The judgment text FastChat records when every API attempt failed. */
  public static final String API_ERROR_OUTPUT = "$ERROR$";

  private Verdicts() {}

  /** The rating as FastChat stores it: a {@link Long} or {@link Double}, or -1 (a Long) when none is found. */
  public static Number rating(String judgment) {
    Matcher m = ONE_SCORE.matcher(judgment);
    if (!m.find()) {
      m = ONE_SCORE_BACKUP.matcher(judgment);
      if (!m.find()) {
        return -1L;
      }
    }
    return literal(m.group(1));
  }

  /** "A", "B", "tie" or "error" for an {@code [[A]]}-format judgment. */
  public static String pairWinner(String judgment) {
    if (judgment.contains("[[A]]")) {
      return "A";
    } else if (judgment.contains("[[B]]")) {
      return "B";
    } else if (judgment.contains("[[C]]")) {
      return "tie";
    }
    return "error";
  }

  /** "A", "B", "tie" or "error" for a {@code [[rating_a,rating_b]]}-format judgment. */
  public static String twoScoreWinner(String judgment) {
    Matcher m = TWO_SCORE.matcher(judgment);
    if (!m.find()) {
      m = TWO_SCORE_BACKUP.matcher(judgment);
      if (!m.find()) {
        return "error";
      }
    }
    double a = literal(m.group(1)).doubleValue();
    double b = literal(m.group(2)).doubleValue();
    if (Math.abs(a - b) <= TIE_DELTA) {
      return "tie";
    }
    return a > b ? "A" : "B";
  }

  private static Number literal(String s) {
    if (s.contains(".")) {
      return Double.parseDouble(s);
    }
    // Python ints are unbounded; a rating this large is nonsense but must not crash
    return s.length() > 18 ? (Number) Double.parseDouble(s) : (Number) Long.parseLong(s);
  }
}
