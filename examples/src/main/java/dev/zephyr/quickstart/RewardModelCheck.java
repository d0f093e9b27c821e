package dev.zephyr.quickstart;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.zephyr.core.chat.ChatModel;
import dev.zephyr.core.chat.ChatRequest;
import dev.zephyr.core.chat.ChatResponse;
import dev.zephyr.core.chat.Message;
import dev.zephyr.core.chat.SamplingParams;
import dev.zephyr.core.io.Jsonl;
import dev.zephyr.data.almost.SyntheticComparison;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * How far the synthetic reward model agrees with the judge: the held-out synthetic comparisons are scored by the
 * reward model and graded by the judge (both answers of a pair, with the {@link GradingPrompt}), and each pair with
 * its two rewards and two grades goes to {@code rm_vs_judge.jsonl}, from which {@link #summarize} counts.
 */
final class RewardModelCheck {
  static final String FILE = "rm_vs_judge.jsonl";

  private RewardModelCheck() {}

  /** One held-out pair, scored and graded. */
  record Pair(String prompt, String meta, String chosen, String rejected,
      @JsonProperty("reward_chosen") double rewardChosen, @JsonProperty("reward_rejected") double rewardRejected,
      @JsonProperty("judge_chosen") double judgeChosen, @JsonProperty("judge_rejected") double judgeRejected) {}

  /**
   * The counts.
   *
   * @param heldOutPairs pairs checked
   * @param judgeTies pairs the judge grades equal (left out of {@code accuracy_vs_judge})
   * @param accuracyVsJudge share of the other pairs where the reward model prefers the answer the judge grades higher
   * @param accuracyVsRanking share of all pairs where it prefers the synthetic label's chosen answer
   * @param rankingVsJudge share of the pairs the judge does not tie where the synthetic label (the rule of thumb after
   *     the filter) is the judge's preference: how clean the training signal was
   */
  record Summary(@JsonProperty("held_out_pairs") int heldOutPairs, @JsonProperty("judge_ties") int judgeTies,
      @JsonProperty("accuracy_vs_judge") double accuracyVsJudge,
      @JsonProperty("accuracy_vs_ranking") double accuracyVsRanking,
      @JsonProperty("ranking_agrees_with_judge") double rankingVsJudge) {}

  /** Scores and grades {@code heldOut} (synthetic comparisons), writes {@code out} and returns its counts. */
  static Summary run(Path rewardModel, int maxLength, Path heldOut, ChatModel judge, Path out) {
    List<SyntheticComparison> pairs = Jsonl.readAll(heldOut, SyntheticComparison.class);
    List<List<Message>> conversations = new ArrayList<>();
    List<ChatRequest> grades = new ArrayList<>();
    for (SyntheticComparison c : pairs) {
      conversations.add(c.chosen());
      conversations.add(c.rejected());
      grades.add(grade(c.prompt(), c.chosenText()));
      grades.add(grade(c.prompt(), c.rejectedText()));
    }
    double[] rewards;
    try (LocalRewardModel rm = LocalRewardModel.open(rewardModel, maxLength)) {
      rewards = rm.score(conversations);
    }
    List<ChatResponse> verdicts = judge.complete(grades);
    List<Pair> rows = new ArrayList<>();
    for (int i = 0; i < pairs.size(); i++) {
      SyntheticComparison c = pairs.get(i);
      rows.add(new Pair(c.prompt(), c.meta(), c.chosenText(), c.rejectedText(), rewards[2 * i], rewards[2 * i + 1],
          HeldOutEvaluation.rating(verdicts.get(2 * i).text()),
          HeldOutEvaluation.rating(verdicts.get(2 * i + 1).text())));
    }
    Jsonl.writeAll(out, rows);
    return summarize(rows);
  }

  private static ChatRequest grade(String prompt, String answer) {
    return ChatRequest.of(List.of(Message.user(GradingPrompt.render(prompt, answer))), SamplingParams.greedy(256));
  }

  /** The counts of {@code rows}; NaN for a share of no pairs. */
  static Summary summarize(List<Pair> rows) {
    int ties = 0;
    int agreeJudge = 0;
    int rankingAgrees = 0;
    int agreeRanking = 0;
    for (Pair p : rows) {
      double judged = p.judgeChosen() - p.judgeRejected();
      double rewarded = p.rewardChosen() - p.rewardRejected();
      agreeRanking += rewarded > 0 ? 1 : 0;
      if (judged == 0) {
        ties++;
        continue;
      }
      agreeJudge += judged * rewarded > 0 ? 1 : 0;
      rankingAgrees += judged > 0 ? 1 : 0;
    }
    int decided = rows.size() - ties;
    return new Summary(rows.size(), ties, share(agreeJudge, decided), share(agreeRanking, rows.size()),
        share(rankingAgrees, decided));
  }

  private static double share(int count, int of) {
    return of == 0 ? Double.NaN : (double) count / of;
  }
}
