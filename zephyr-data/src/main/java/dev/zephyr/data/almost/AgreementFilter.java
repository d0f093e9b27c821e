package dev.zephyr.data.almost;

import dev.zephyr.core.chat.Message;
import java.util.ArrayList;
import java.util.List;

/**
 * ALMoST's optional post-validation: keep a synthetic comparison only when an existing reward model agrees with it,
 * i.e. scores chosen above rejected by more than {@code margin}. The paper describes the idea; the exact rule is
 * not published, so the margin is a parameter (0 means strictly higher).
 */
public final class AgreementFilter {
  private final RewardScorer rewardModel;
  private final double margin;
  private final int batchSize;

  public AgreementFilter(RewardScorer rewardModel, double margin, int batchSize) {
    if (batchSize < 1) {
      throw new IllegalArgumentException("batch size must be >= 1");
    }
    this.rewardModel = rewardModel;
    this.margin = margin;
    this.batchSize = batchSize;
  }

  /** Kept pairs and how many were dropped. */
  public record Result(List<SyntheticComparison> kept, int disagreed) {}

  public Result filter(List<SyntheticComparison> pairs) {
    List<SyntheticComparison> kept = new ArrayList<>();
    int disagreed = 0;
    for (int start = 0; start < pairs.size(); start += batchSize) {
      List<SyntheticComparison> batch = pairs.subList(start, Math.min(pairs.size(), start + batchSize));
      List<List<Message>> convs = new ArrayList<>();
      for (SyntheticComparison p : batch) {
        convs.add(p.chosen());
        convs.add(p.rejected());
      }
      double[] s = rewardModel.score(convs);
      if (s.length != convs.size()) {
        throw new IllegalStateException("reward model returned " + s.length + " scores for " + convs.size()
            + " conversations");
      }
      for (int k = 0; k < batch.size(); k++) {
        if (s[2 * k] - s[2 * k + 1] > margin) {
          kept.add(batch.get(k));
        } else {
          disagreed++;
        }
      }
    }
    return new Result(kept, disagreed);
  }
}
