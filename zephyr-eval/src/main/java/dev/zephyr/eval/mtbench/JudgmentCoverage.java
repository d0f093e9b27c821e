package dev.zephyr.eval.mtbench;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * Whether a judgment file holds every judgment a model's MT-Bench score needs: one rated judgment per (question, turn)
 * the model answered. FastChat's {@code show_result.py} averages whatever rows it finds and drops score -1 silently;
 * here a judgment that is missing, a judgment without a rating (score -1, or the "error" winner of a pairwise game) and
 * a question id the bench does not know are counted and named, so a score from partial data is never taken for the
 * real one.
 *
 * @param model the model (single mode) or {@code model_1 vs model_2} (pairwise)
 * @param expected judgments the score needs
 * @param rated judgments with a rating (single) or a winner in both games (pairwise)
 * @param unrated judgments present but without a rating or winner
 * @param missing judgments absent from the file
 * @param unknownQuestionIds question ids of the judgments or answers that the bench has no question for
 */
public record JudgmentCoverage(String model, int expected, int rated, int unrated, int missing,
    SortedSet<Integer> unknownQuestionIds) {

  /** True when every needed judgment is rated and every question id is known. */
  public boolean complete() {
    return unrated == 0 && missing == 0 && unknownQuestionIds.isEmpty();
  }

  /** {@code tiny: 14 of 16 judgments rated, 1 without a rating, 1 missing, unknown question ids [999]}. */
  public String describe() {
    StringBuilder sb = new StringBuilder(model + ": " + rated + " of " + expected + " judgments rated");
    if (unrated > 0) {
      sb.append(", ").append(unrated).append(" without a rating (score -1 or an error verdict)");
    }
    if (missing > 0) {
      sb.append(", ").append(missing).append(" missing");
    }
    if (!unknownQuestionIds.isEmpty()) {
      sb.append(", unknown question ids ").append(abbreviated(unknownQuestionIds));
    }
    return sb.toString();
  }

  private static String abbreviated(SortedSet<Integer> ids) {
    List<Integer> list = new ArrayList<>(ids);
    return list.size() <= 10 ? list.toString() : list.subList(0, 10) + " and " + (list.size() - 10) + " more";
  }

  /**
   * Single mode, per model in first-seen order. A model's judgments are needed for every turn of the questions in its
   * answers ({@code answersOf} may return null for a model whose answers are not at hand: then every question of the
   * bench counts).
   */
  public static List<JudgmentCoverage> single(MtBench bench, List<SingleJudgment> judgments,
      Function<String, Map<Integer, ModelAnswer>> answersOf) {
    Map<String, Map<String, Boolean>> byModel = new LinkedHashMap<>(); // model -> (question/turn -> rated)
    Map<String, SortedSet<Integer>> unknown = new HashMap<>();
    for (SingleJudgment j : judgments) {
      Map<String, Boolean> seen = byModel.computeIfAbsent(j.model(), k -> new HashMap<>());
      seen.merge(j.questionId() + "/" + j.turn(), j.scoreValue() != -1, Boolean::logicalOr);
      if (bench.category(j.questionId()) == null) {
        unknown.computeIfAbsent(j.model(), k -> new TreeSet<>()).add(j.questionId());
      }
    }
    List<JudgmentCoverage> out = new ArrayList<>();
    byModel.forEach((model, seen) -> {
      SortedSet<Integer> unknownIds = unknown.computeIfAbsent(model, k -> new TreeSet<>());
      Map<Integer, ModelAnswer> answers = answersOf.apply(model);
      List<Integer> scope = new ArrayList<>();
      if (answers != null) {
        for (int id : answers.keySet()) {
          if (bench.category(id) == null) {
            unknownIds.add(id);
          } else {
            scope.add(id);
          }
        }
      } else {
        bench.questions().forEach(q -> scope.add(q.questionId()));
      }
      out.add(count(model, bench, scope, seen, unknownIds));
    });
    return out;
  }

  /**
   * Pairwise mode, per pair of models (only pairs with {@code baseline} when it is non-null): every turn of every
   * question of the bench needs a verdict in both games.
   */
  public static List<JudgmentCoverage> pairwise(MtBench bench, List<PairJudgment> judgments, String baseline) {
    Map<String, Map<String, Boolean>> byPair = new LinkedHashMap<>();
    Map<String, SortedSet<Integer>> unknown = new HashMap<>();
    for (PairJudgment j : judgments) {
      if (baseline != null && !baseline.equals(j.model1()) && !baseline.equals(j.model2())) {
        continue;
      }
      String pair = j.model1() + " vs " + j.model2();
      boolean rated = !"error".equals(j.g1Winner()) && !"error".equals(j.g2Winner());
      byPair.computeIfAbsent(pair, k -> new HashMap<>()).merge(j.questionId() + "/" + j.turn(), rated,
          Boolean::logicalOr);
      if (bench.category(j.questionId()) == null) {
        unknown.computeIfAbsent(pair, k -> new TreeSet<>()).add(j.questionId());
      }
    }
    List<Integer> scope = bench.questions().stream().map(Question::questionId).toList();
    List<JudgmentCoverage> out = new ArrayList<>();
    byPair.forEach((pair, seen) ->
        out.add(count(pair, bench, scope, seen, unknown.getOrDefault(pair, new TreeSet<>()))));
    return out;
  }

  private static JudgmentCoverage count(String model, MtBench bench, List<Integer> scope, Map<String, Boolean> seen,
      SortedSet<Integer> unknownIds) {
    Map<Integer, Integer> turnsById = new HashMap<>();
    bench.questions().forEach(q -> turnsById.putIfAbsent(q.questionId(), q.turns().size()));
    int expected = 0;
    int rated = 0;
    int unrated = 0;
    for (int id : new TreeSet<>(scope)) {
      for (int turn = 1; turn <= turnsById.get(id); turn++) {
        expected++;
        Boolean r = seen.get(id + "/" + turn);
        if (r == null) {
          continue;
        }
        if (r) {
          rated++;
        } else {
          unrated++;
        }
      }
    }
    return new JudgmentCoverage(model, expected, rated, unrated, expected - rated - unrated,
        java.util.Collections.unmodifiableSortedSet(unknownIds));
  }
}
