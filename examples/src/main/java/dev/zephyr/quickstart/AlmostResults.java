package dev.zephyr.quickstart;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * {@code quickstart-almost-results.json}: the almost recipe on the miniature world. Rows as in
 * {@link QuickstartResults} ({@code base}, {@code dsft}, {@code almost-sft}, {@code almost-rlsf}); how the synthetic
 * comparisons came about ({@link WorldComparisons.Report}); the reward model's held-out accuracy against the judge
 * ({@link RewardModelCheck.Summary}); and the RLSF policy's judge and reward-model scores at its checkpoints.
 *
 * @param rows judge score and win rate against dSFT per model
 * @param comparisons the generator ranking, the heuristic filter's counts and the train / held-out split
 * @param rewardModel the reward model against the judge on the held-out pairs
 * @param rlsf the RL trainer and its curve
 * @param seconds wall time of the run
 */
public record AlmostResults(List<QuickstartResults.Row> rows, WorldComparisons.Report comparisons,
    @JsonProperty("reward_model") RewardModelCheck.Summary rewardModel, Rlsf rlsf, long seconds) {
  public static final String FILE = "quickstart-almost-results.json";
  /** Row names, in the order the table lists them. */
  public static final List<String> MODELS = List.of("base", "dsft", "almost-sft", "almost-rlsf");

  public AlmostResults {
    rows = List.copyOf(rows);
  }

  /**
   * RLSF's trainer and the policy at its checkpoints, the SFT model it started from as update 0.
   *
   * @param trainer {@code ppo} or {@code rloo}
   * @param steps one point per evaluated policy
   */
  public record Rlsf(String trainer, List<Step> steps) {
    public Rlsf {
      steps = List.copyOf(steps);
    }
  }

  /**
   * The policy after {@code step} updates: the judge's mean grade and the reward model's mean score of its greedy
   * answers to the held-out prompts.
   */
  public record Step(long step, @JsonProperty("judge_score") double judgeScore,
      @JsonProperty("reward_score") double rewardScore) {}

  /** The row of a model, or an error naming the rows present. */
  public QuickstartResults.Row row(String model) {
    return QuickstartResults.row(rows, model);
  }

  /** Writes {@code dir/quickstart-almost-results.json} atomically. */
  public Path write(Path dir) {
    return QuickstartResults.writeJson(this, dir.resolve(FILE));
  }

  /** Reads a results file. */
  public static AlmostResults read(Path file) {
    return QuickstartResults.readJson(file, AlmostResults.class);
  }

  /** The table, the comparison counts, the reward model's check, the RLSF curve's ends and the wall time. */
  public String table() {
    StringBuilder sb = new StringBuilder(QuickstartResults.rowsTable(rows));
    var h = comparisons.heuristic();
    sb.append(String.format(Locale.ROOT, "%nSynthetic comparisons: %d prompts answered by %s (best first);%n",
        comparisons.prompts(), String.join(" > ", comparisons.ranking())));
    sb.append(String.format(Locale.ROOT, "  heuristic filter kept %d pairs (dropped %d by length, %d identical;"
        + " %d answers missing; %d prompts without a pair); %d train, %d held out%n", h.pairs(), h.droppedByLength(),
        h.droppedIdentical(), h.missingResponses(), h.promptsWithoutPairs(), comparisons.trainPairs(),
        comparisons.heldOutPairs()));
    sb.append(String.format(Locale.ROOT, "Reward model on %d held-out pairs: accuracy vs judge %.3f (%d judge ties"
        + " left out), vs synthetic labels %.3f; the labels agree with the judge on %.3f%n",
        rewardModel.heldOutPairs(), rewardModel.accuracyVsJudge(), rewardModel.judgeTies(),
        rewardModel.accuracyVsRanking(), rewardModel.rankingVsJudge()));
    if (!rlsf.steps().isEmpty()) {
      Step first = rlsf.steps().get(0);
      Step last = rlsf.steps().get(rlsf.steps().size() - 1);
      sb.append(String.format(Locale.ROOT, "RLSF (%s, %d updates): judge score %.2f -> %.2f, reward-model score"
          + " %.3f -> %.3f on held-out answers%n", rlsf.trainer().toUpperCase(Locale.ROOT), last.step(),
          first.judgeScore(), last.judgeScore(), first.rewardScore(), last.rewardScore()));
    }
    return sb + String.format(Locale.ROOT, "Wall time: %d s%n", seconds);
  }
}
