package dev.zephyr.data.almost;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * ALMoST step 1c: synthetic comparisons from ranked generator responses, with the heuristic length filter.
 *
 * <p>For one prompt and the responses of every configuration (bad ones already replaced by
 * {@link ResponseRules#BAD}):
 * <ol>
 *   <li>Candidates are the ranked configurations whose response is neither blank nor BAD, sorted by rank (ties keep
 *       the ranking's order). Fewer than two candidates give no pair.</li>
 *   <li>Over all non-BAD responses of the prompt, {@code M} is the mean length in characters and {@code S} the
 *       population standard deviation; {@code ok(c)} holds when {@code len(c) >= M - S/2}.</li>
 *   <li>Pairs {@code (i, j)} are visited in the order of {@code combinations(candidates, 2)}; one is emitted with
 *       {@code i} chosen unless {@code i}'s configuration or {@code i}'s rank was already used as chosen, or
 *       {@code len(i) < len(j)} and not {@code ok(i)}, or the ranking does not prefer {@code i} over {@code j}
 *       (equal rank, or incomparable under the rule of thumb).</li>
 * </ol>
 * So a pair is kept iff {@code len(chosen) >= len(rejected)} or {@code len(chosen) >= M - S/2}, and each
 * configuration, and each rank, is chosen at most once, paired with the best-ranked lower candidate that passes (as
 * in the released {@code synthetic_feedback.py}). Under the rule-of-thumb ranking the rank is the dominance depth. Pairs whose chosen
 * and rejected texts are identical are then dropped (ALMoST's reward-model loader does this). Dropped pairs and ranked
 * configurations without a usable response are counted in {@link #stats()}.
 */
public final class HeuristicFilter {
  private final ConfigRanking ranking;
  private int prompts;
  private int promptsWithoutPairs;
  private int droppedByLength;
  private int droppedIdentical;
  private int missingResponses;
  private int emitted;

  public HeuristicFilter(ConfigRanking ranking) {
    this.ranking = ranking;
  }

  /** Counters over every prompt seen so far. */
  public record Stats(
      @com.fasterxml.jackson.annotation.JsonProperty("prompts") int prompts,
      @com.fasterxml.jackson.annotation.JsonProperty("prompts_without_pairs") int promptsWithoutPairs,
      @com.fasterxml.jackson.annotation.JsonProperty("dropped_by_length") int droppedByLength,
      @com.fasterxml.jackson.annotation.JsonProperty("dropped_identical") int droppedIdentical,
      @com.fasterxml.jackson.annotation.JsonProperty("missing_responses") int missingResponses,
      @com.fasterxml.jackson.annotation.JsonProperty("pairs") int pairs) {}

  public Stats stats() {
    return new Stats(prompts, promptsWithoutPairs, droppedByLength, droppedIdentical, missingResponses, emitted);
  }

  /** The threshold {@code M - S/2} over the non-BAD responses, or NaN when there are none. */
  public static double lengthThreshold(Iterable<String> responses) {
    List<Integer> lens = new ArrayList<>();
    for (String r : responses) {
      if (!ResponseRules.BAD.equals(r)) {
        lens.add(ResponseRules.charCount(r));
      }
    }
    if (lens.isEmpty()) {
      return Double.NaN;
    }
    double mean = lens.stream().mapToDouble(Integer::doubleValue).average().orElseThrow();
    double var = lens.stream().mapToDouble(l -> (l - mean) * (l - mean)).sum() / lens.size();
    return mean - Math.sqrt(var) / 2;
  }

  /**
   * Comparisons for one prompt.
   *
   * @param responses configuration name to response (or BAD); configurations absent from the ranking only count
   *     towards the length statistics
   */
  public List<SyntheticComparison> compare(String prompt, Map<String, String> responses) {
    prompts++;
    double threshold = lengthThreshold(responses.values());
    List<String> candidates = new ArrayList<>();
    for (String cfg : ranking.ordered()) {
      String r = responses.get(cfg);
      if (r != null && !r.isBlank() && !ResponseRules.BAD.equals(r)) {
        candidates.add(cfg);
      } else {
        missingResponses++; // a rank with no usable answer: it takes part in no pair
      }
    }
    List<SyntheticComparison> out = new ArrayList<>();
    Set<String> usedAsChosen = new HashSet<>();
    Set<Integer> ranksUsedAsChosen = new HashSet<>();
    for (int a = 0; a < candidates.size(); a++) {
      for (int b = a + 1; b < candidates.size(); b++) {
        String ci = candidates.get(a);
        String cj = candidates.get(b);
        if (usedAsChosen.contains(ci) || ranksUsedAsChosen.contains(ranking.rank(ci))) {
          continue;
        }
        int li = ResponseRules.charCount(responses.get(ci));
        int lj = ResponseRules.charCount(responses.get(cj));
        if (li < lj && !(li >= threshold)) {
          droppedByLength++;
          continue;
        }
        if (!ranking.prefers(ci, cj)) {
          continue;
        }
        usedAsChosen.add(ci);
        ranksUsedAsChosen.add(ranking.rank(ci));
        if (responses.get(ci).equals(responses.get(cj))) {
          droppedIdentical++;
          continue;
        }
        out.add(SyntheticComparison.of(prompt, responses.get(ci), responses.get(cj), ci, cj));
      }
    }
    if (out.isEmpty()) {
      promptsWithoutPairs++;
    }
    emitted += out.size();
    return out;
  }
}
