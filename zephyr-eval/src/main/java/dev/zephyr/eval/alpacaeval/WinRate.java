package dev.zephyr.eval.alpacaeval;

import dev.zephyr.core.InvalidInputException;
import java.util.Arrays;
import java.util.List;

/**
 * alpaca_eval's head-to-head metrics ({@code get_winrate}). With {@code x} = preference (legacy 0 read as 1.5), rows
 * whose preference is NaN or outside [1, 2] dropped, and {@code y = x - 1}: {@code win_rate = 100 mean(y)},
 * {@code standard_error = 100 sem(y)} (sample standard deviation, ddof 1, over sqrt n), {@code n_wins = #(y > 0.5)},
 * {@code n_wins_base = #(y < 0.5)}, {@code n_draws = #(x == 1.5)}, {@code n_total} = valid rows;
 * {@code discrete_win_rate}: 1.5 stays a draw (0.5), every other preference is rounded half to even to 1 or 2.
 * {@code avg_length} is the integer part of the mean length of the model's outputs in Unicode code points (Python
 * {@code len}).
 */
public final class WinRate {
  private WinRate() {}

  /**
   * Refuses annotations no win rate should be printed from: none at all, a missing preference (null or NaN: the judge
   * gave no usable answer, so the row must be annotated again) or one outside [1, 2] (the legacy draw 0 is allowed).
   * alpaca_eval drops such rows silently; here they name the file and the record instead.
   *
   * @throws InvalidInputException naming {@code source} and the record's index
   */
  public static void requireScorable(List<Double> preferences, String source) {
    if (preferences.isEmpty()) {
      throw new InvalidInputException(source, 0, null, "no annotations: nothing to score");
    }
    for (int i = 0; i < preferences.size(); i++) {
      Double p = preferences.get(i);
      if (p == null || p.isNaN()) {
        throw new InvalidInputException(source, 0, "[" + i + "].preference",
            "missing judgment (null or NaN); annotate again before scoring");
      }
      double x = scoredPreference(p);
      if (x < 1 || x > 2) {
        throw new InvalidInputException(source, 0, "[" + i + "].preference",
            "must be in [1, 2] (1: reference preferred, 2: model preferred), got " + p);
      }
    }
  }

  /** The leaderboard row without the length-controlled columns. */
  public static LeaderboardRow compute(String name, List<Double> preferences, List<String> modelOutputs) {
    int n = 0;
    double sum = 0;
    int wins = 0;
    int winsBase = 0;
    int draws = 0;
    double discreteSum = 0;
    double[] ys = new double[preferences.size()];
    for (Double p : preferences) {
      double x = scoredPreference(p);
      if (Double.isNaN(x) || x < 1 || x > 2) {
        continue;
      }
      double y = x - 1;
      ys[n++] = y;
      sum += y;
      if (y > 0.5) {
        wins++;
      } else if (y < 0.5) {
        winsBase++;
      }
      if (x == 1.5) {
        draws++;
        discreteSum += 0.5;
      } else {
        discreteSum += Math.rint(x) - 1; // rint rounds half to even, like numpy
      }
    }
    double mean = n == 0 ? Double.NaN : sum / n;
    double sem = standardError(Arrays.copyOf(ys, n));
    return new LeaderboardRow(name, 100 * mean, 100 * sem, wins, winsBase, draws, n,
        n == 0 ? Double.NaN : 100 * discreteSum / n, averageLength(modelOutputs), null, null, null);
  }

  /** A preference as alpaca_eval scores it: null becomes NaN, the legacy draw value 0 becomes 1.5. */
  static double scoredPreference(Double preference) {
    return preference == null ? Double.NaN : (preference == 0.0 ? 1.5 : preference);
  }

  /** scipy's {@code sem}: the sample standard deviation (ddof 1) over sqrt n; NaN for fewer than two values. */
  static double standardError(double[] v) {
    return sampleStd(v) / Math.sqrt(v.length);
  }

  /** The sample standard deviation (ddof 1); NaN for fewer than two values. */
  static double sampleStd(double[] v) {
    if (v.length < 2) {
      return Double.NaN;
    }
    double mean = 0;
    for (double d : v) {
      mean += d;
    }
    mean /= v.length;
    double ss = 0;
    for (double d : v) {
      ss += (d - mean) * (d - mean);
    }
    return Math.sqrt(ss / (v.length - 1));
  }

  /** {@code int(mean(len(output)))} with Python string lengths (code points). */
  public static int averageLength(List<String> outputs) {
    if (outputs.isEmpty()) {
      return 0;
    }
    double total = 0;
    for (String o : outputs) {
      total += o.codePointCount(0, o.length());
    }
    return (int) (total / outputs.size());
  }
}
