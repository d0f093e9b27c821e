package dev.zephyr.data.feedback;

import dev.zephyr.data.rows.PreferenceRecord;
import dev.zephyr.data.rows.RatingRecord.RatedCompletion;
import dev.zephyr.data.rows.RatingRecord;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Turns rated completions into preference pairs. The Zephyr recipe ({@code ultrafeedback_binarized}) is
 * {@code chosen = OVERALL, rejected = RANDOM, ties = KEEP}: the highest {@code overall_score} (first in list order on
 * a tie) against a uniformly drawn other completion, equal scores kept. Completions without a score (failed calls or
 * judgments) never take part. Randomness is seeded per prompt, so the result does not depend on processing order.
 *
 * @param chosen which score ranks completions
 * @param rejected how the rejected completion is picked
 * @param ties what to do with a pair whose scores are equal
 * @param seed run seed
 */
public record Binarizer(ChosenBy chosen, RejectedBy rejected, TiePolicy ties, long seed) {

  /** The score that ranks completions. */
  public enum ChosenBy {
    /** {@code overall_score} (the H4 script). */
    OVERALL,
    /** {@code fine-grained_score}, the mean aspect rating without N/A (Argilla, the Zephyr paper's wording). */
    MEAN
  }

  /** How the rejected completion is picked. */
  public enum RejectedBy {
    /** Uniformly among the other scored completions (the Zephyr recipe). */
    RANDOM,
    /** The lowest score (first in list order on a tie). */
    LOWEST,
    /** Every pair with the first scoring at least the second. */
    ALL
  }

  /** What to do with equal scores. */
  public enum TiePolicy {
    /** Keep the pair (the H4 script). */
    KEEP,
    /** Drop the pair. */
    DROP,
    /** RANDOM: draw among strictly lower-scored completions instead (drop when there are none); others: drop. */
    REDRAW
  }

  /** The Zephyr recipe with the given seed. */
  public static Binarizer zephyr(long seed) {
    return new Binarizer(ChosenBy.OVERALL, RejectedBy.RANDOM, TiePolicy.KEEP, seed);
  }

  private Double score(RatedCompletion c) {
    if (c.response() == null) {
      return null;
    }
    return chosen == ChosenBy.OVERALL ? c.overallScore() : c.fineGrainedScore();
  }

  /** The pairs for one prompt; empty when fewer than two completions have a score or the tie policy drops them. */
  public List<PreferenceRecord> binarize(RatingRecord record) {
    List<Integer> scored = new ArrayList<>();
    for (int i = 0; i < record.completions().size(); i++) {
      if (score(record.completions().get(i)) != null) {
        scored.add(i);
      }
    }
    List<PreferenceRecord> out = new ArrayList<>();
    if (scored.size() < 2) {
      return out;
    }
    if (rejected == RejectedBy.ALL) {
      for (int a = 0; a < scored.size(); a++) {
        for (int b = a + 1; b < scored.size(); b++) {
          int i = scored.get(a);
          int j = scored.get(b);
          double si = score(record.completions().get(i));
          double sj = score(record.completions().get(j));
          if (si == sj) {
            if (ties == TiePolicy.KEEP) {
              out.add(pair(record, i, j));
            }
          } else {
            out.add(si > sj ? pair(record, i, j) : pair(record, j, i));
          }
        }
      }
      return out;
    }
    int best = scored.get(0);
    for (int i : scored) {
      if (score(record.completions().get(i)) > score(record.completions().get(best))) {
        best = i;
      }
    }
    double bestScore = score(record.completions().get(best));
    List<Integer> others = new ArrayList<>(scored);
    others.remove(Integer.valueOf(best));
    int pick;
    if (rejected == RejectedBy.LOWEST) {
      pick = others.get(0);
      for (int i : others) {
        if (score(record.completions().get(i)) < score(record.completions().get(pick))) {
          pick = i;
        }
      }
    } else {
      Random random = Seeds.random(seed, record.promptId(), "rejected");
      pick = others.get(random.nextInt(others.size()));
      if (score(record.completions().get(pick)) == bestScore && ties == TiePolicy.REDRAW) {
        List<Integer> lower = others.stream().filter(i -> score(record.completions().get(i)) < bestScore).toList();
        if (lower.isEmpty()) {
          return out;
        }
        pick = lower.get(random.nextInt(lower.size()));
      }
    }
    if (score(record.completions().get(pick)) == bestScore && ties != TiePolicy.KEEP) {
      return out;
    }
    out.add(pair(record, best, pick));
    return out;
  }

  private PreferenceRecord pair(RatingRecord r, int chosenIndex, int rejectedIndex) {
    RatedCompletion c = r.completions().get(chosenIndex);
    RatedCompletion x = r.completions().get(rejectedIndex);
    return PreferenceRecord.of(r.prompt(), r.promptId(), c.response(), x.response(), score(c), score(x));
  }
}
