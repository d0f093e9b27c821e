package dev.zephyr.train.rl;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Per-micro-batch statistics of one update's optimisation passes, reported as TRL reports them: the mean over every
 * micro-batch of every epoch and mini-batch ({@code policy/approxkl_avg}...), and the variance of the ratio means
 * ({@code val/ratio_var}).
 */
final class UpdateStats {
  private final Map<String, double[]> sums = new LinkedHashMap<>();
  private final java.util.ArrayList<Double> ratios = new java.util.ArrayList<>();
  private int count;

  void add(Map<String, Double> micro, double ratio) {
    micro.forEach((k, v) -> sums.computeIfAbsent(k, x -> new double[1])[0] += v);
    ratios.add(ratio);
    count++;
  }

  /** The means under their names, then {@code val/ratio} and {@code val/ratio_var}. */
  Map<String, Double> means() {
    Map<String, Double> out = new LinkedHashMap<>();
    sums.forEach((k, v) -> out.put(k, v[0] / count));
    double mean = ratios.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
    out.put("val/ratio", mean);
    out.put("val/ratio_var", variance(ratios, mean));
    return out;
  }

  /** The unbiased variance; 0 for a single value (torch would give NaN, which JSON cannot hold). */
  private static double variance(List<Double> xs, double mean) {
    if (xs.size() < 2) {
      return 0;
    }
    double sq = 0;
    for (double x : xs) {
      sq += (x - mean) * (x - mean);
    }
    return sq / (xs.size() - 1);
  }
}
