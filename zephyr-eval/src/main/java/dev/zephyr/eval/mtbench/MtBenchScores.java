package dev.zephyr.eval.mtbench;

import dev.zephyr.core.InvalidInputException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * FastChat's {@code show_result.py} arithmetic. Single mode: judgments with score -1 are dropped; the MT-Bench score is
 * the mean of all remaining judgments of both turns (pooled, not the mean of the turn means); turn scores and
 * per-category scores are means over the same rows. Pairwise mode: rows with an "error" winner are dropped; a tie in
 * game 1 or games that disagree count as a tie for both models; win rate = wins / all, adjusted = (wins + ties/2) / all.
 */
public final class MtBenchScores {
  private MtBenchScores() {}

  /**
   * One model's single-mode result.
   *
   * @param score pooled mean over both turns
   * @param turn1 mean of turn-1 judgments (NaN if none)
   * @param turn2 mean of turn-2 judgments (NaN if none)
   * @param categories per-category pooled mean, in the bench's category order
   * @param judged valid judgments used
   * @param failed judgments dropped for score -1
   */
  public record SingleResult(String model, double score, double turn1, double turn2, Map<String, Double> categories,
      int judged, int failed) {}

  /** One model's pairwise result against the others (the baseline in baseline mode). */
  public record PairResult(String model, int win, int loss, int tie, double winRate, double lossRate,
      double winRateAdjusted) {}

  /** Single-mode results per model, in first-seen order; categories come from {@code categoryOf}. */
  /**
   * Refuses a rating no MT-Bench score may be computed from: FastChat's single-answer ratings run from 1 to 10, and -1
   * marks a judgment without one (counted as unrated, not refused); anything else (0, 11, NaN) names the file and the
   * record.
   *
   * @throws InvalidInputException naming {@code source} and the 1-based record
   */
  public static void requireRatingsInRange(List<SingleJudgment> judgments, String source) {
    for (int i = 0; i < judgments.size(); i++) {
      double s = judgments.get(i).scoreValue();
      if (s != -1 && !(s >= 1 && s <= 10)) {
        throw new InvalidInputException(source, 0, "[record " + (i + 1) + "].score",
            "a rating must be in [1, 10] (or -1 for none), got " + s);
      }
    }
  }

  public static List<SingleResult> single(List<SingleJudgment> judgments, Function<Integer, String> categoryOf) {
    Map<String, List<SingleJudgment>> byModel = new LinkedHashMap<>();
    for (SingleJudgment j : judgments) {
      byModel.computeIfAbsent(j.model(), k -> new ArrayList<>()).add(j);
    }
    List<SingleResult> out = new ArrayList<>();
    for (var e : byModel.entrySet()) {
      double sum = 0;
      int n = 0;
      double[] turnSum = new double[3];
      int[] turnN = new int[3];
      int failed = 0;
      Map<String, double[]> cat = new LinkedHashMap<>();
      for (SingleJudgment j : e.getValue()) {
        double s = j.scoreValue();
        if (s == -1) {
          failed++;
          continue;
        }
        sum += s;
        n++;
        if (j.turn() == 1 || j.turn() == 2) {
          turnSum[j.turn()] += s;
          turnN[j.turn()]++;
        }
        String c = categoryOf.apply(j.questionId());
        if (c != null) {
          double[] acc = cat.computeIfAbsent(c, k -> new double[2]);
          acc[0] += s;
          acc[1]++;
        }
      }
      Map<String, Double> categories = new LinkedHashMap<>();
      cat.forEach((k, v) -> categories.put(k, v[0] / v[1]));
      out.add(new SingleResult(e.getKey(), n == 0 ? Double.NaN : sum / n,
          turnN[1] == 0 ? Double.NaN : turnSum[1] / turnN[1], turnN[2] == 0 ? Double.NaN : turnSum[2] / turnN[2],
          categories, n, failed));
    }
    return out;
  }

  /**
   * Pairwise results. With {@code baseline} non-null only games involving it count and the baseline itself is not
   * listed ("pairwise-baseline"); with null every game counts ("pairwise-all"). Sorted by adjusted win rate, best first.
   */
  public static List<PairResult> pairwise(List<PairJudgment> judgments, String baseline) {
    Map<String, int[]> counts = new TreeMap<>(); // win, loss, tie
    for (PairJudgment j : judgments) {
      if ("error".equals(j.g1Winner()) || "error".equals(j.g2Winner())) {
        continue;
      }
      if (baseline != null && !baseline.equals(j.model1()) && !baseline.equals(j.model2())) {
        continue;
      }
      int[] c1 = counts.computeIfAbsent(j.model1(), k -> new int[3]);
      int[] c2 = counts.computeIfAbsent(j.model2(), k -> new int[3]);
      if ("tie".equals(j.g1Winner()) || !j.g1Winner().equals(j.g2Winner())) {
        c1[2]++;
        c2[2]++;
      } else if ("model_1".equals(j.g1Winner())) {
        c1[0]++;
        c2[1]++;
      } else {
        c2[0]++;
        c1[1]++;
      }
    }
    List<PairResult> out = new ArrayList<>();
    counts.forEach((model, c) -> {
      if (baseline != null && baseline.equals(model)) {
        return;
      }
      double total = c[0] + c[1] + c[2];
      out.add(new PairResult(model, c[0], c[1], c[2], c[0] / total, c[1] / total, (c[0] + 0.5 * c[2]) / total));
    });
    out.sort((a, b) -> Double.compare(b.winRateAdjusted(), a.winRateAdjusted()));
    return out;
  }
}
