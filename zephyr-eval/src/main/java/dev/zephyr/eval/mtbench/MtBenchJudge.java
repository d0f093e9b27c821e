package dev.zephyr.eval.mtbench;

import dev.zephyr.core.chat.ChatModel;
import dev.zephyr.core.chat.ChatRequest;
import dev.zephyr.core.chat.SamplingParams;
import dev.zephyr.core.io.JsonlAppender;
import dev.zephyr.core.job.FailureLog;
import dev.zephyr.core.job.WorkCounts;
import dev.zephyr.core.progress.Progress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs MT-Bench judging with a {@link ChatModel} judge, FastChat style: temperature 0, at most 2048 tokens, one call per
 * (question, turn) in single mode and two (both orders) in pairwise mode. Results are appended to the judgment file as
 * they finish; on restart, (question, model, turn, prompt) keys already in the file are skipped.
 *
 * <p>Where FastChat records a call that fails for good as {@code "$ERROR$"} (score -1, winner "error"), nothing is
 * written for it here: the call goes to {@code JUDGMENT_FILE.failures} ({@link FailureLog}) and the next run judges it
 * again, as it also does for {@code "$ERROR$"} lines that earlier versions wrote. When the judge stops after repeated
 * identical failures (a wrong key) the judgments not reached stay pending.
 */
public final class MtBenchJudge {
  private static final Logger LOG = LoggerFactory.getLogger(MtBenchJudge.class);
  /** FastChat's judge sampling for OpenAI judges. */
  public static final SamplingParams JUDGE_PARAMS = SamplingParams.builder().temperature(0).maxTokens(2048).build();

  private final ChatModel judge;
  private final String judgeName;
  private final MtBench bench;
  private final JudgeRequests requests;
  private final int batchSize;
  private Progress progress = Progress.NONE;

  /**
   * @param judge the judge model; may be null when only {@link #requests()} is used (dry runs)
   * @param judgeName the name written into judgments and used to find {@code reference_answer/<judgeName>.jsonl}
   * @param batchSize calls handed to the judge at once
   */
  public MtBenchJudge(ChatModel judge, String judgeName, MtBench bench, int batchSize) {
    this.judge = judge;
    this.judgeName = judgeName;
    this.bench = bench;
    this.batchSize = Math.max(1, batchSize);
    this.requests = new JudgeRequests(bench, bench.referenceAnswers(judgeName),
        bench.dir().resolve("reference_answer").resolve(judgeName + ".jsonl").toString());
  }

  /** Reports judge calls (task {@code judge}). */
  public MtBenchJudge progress(Progress sink) {
    this.progress = java.util.Objects.requireNonNull(sink, "progress");
    return this;
  }

  public JudgeRequests requests() {
    return requests;
  }

  /**
   * What a judging run left in the judgment file.
   *
   * @param judgments the single-mode judgments of the model (or the pairwise judgments of the pair) in the file
   * @param counts the judgments the answers call for: done (in the file), failed (a call failed for good in this run),
   *     pending (not reached because the judge stopped)
   * @param stopReason why the run stopped early, or null
   * @param failuresFile where this run's failed calls are listed (it exists only when some failed), or null
   */
  public record Result<J>(List<J> judgments, WorkCounts counts, String stopReason, Path failuresFile) {}

  private static FailureLog failureLog(Path outFile) {
    return outFile == null ? FailureLog.inMemory() : FailureLog.besideFile(outFile);
  }

  /** Single-answer grading of one model's answers; the result holds all judgments in the file for that model. */
  public Result<SingleJudgment> judgeSingle(String model, Map<Integer, ModelAnswer> answers, Path outFile) {
    Set<String> done = new HashSet<>();
    // this model's judgments already in the file, in file order; the new ones are appended after them
    List<SingleJudgment> all = new ArrayList<>();
    if (outFile != null) {
      for (SingleJudgment j : JsonlAppender.readComplete(outFile, SingleJudgment.class)) {
        if (Verdicts.API_ERROR_OUTPUT.equals(j.judgment())) {
          continue; // a failed call an earlier version wrote down: judged again
        }
        done.add(key(j.questionId(), j.model(), j.turn(), j.judge()));
        if (j.model().equals(model)) {
          all.add(j);
        }
      }
    }
    List<JudgeRequest> todo = new ArrayList<>();
    for (JudgeRequest r : requests.allSingle(answers)) {
      if (!done.contains(key(r.questionId(), model, r.turn(), List.of(judgeName, r.judgePrompt())))) {
        todo.add(r);
      }
    }
    long planned = requests.allSingle(answers).size();
    int failed = 0;
    int judged = 0;
    FailureLog failures = failureLog(outFile);
    try (failures; JsonlAppender log = outFile == null ? null : JsonlAppender.open(outFile);
        Progress.Task task = progress.start("judge " + model, "calls", planned, planned - todo.size())) {
      for (int start = 0; start < todo.size() && !failures.stopped(); start += batchSize) {
        List<JudgeRequest> batch = todo.subList(start, Math.min(todo.size(), start + batchSize));
        FailureLog.Answers answers1 = call(batch, failures);
        task.advance(batch.size());
        for (int k = 0; k < batch.size(); k++) {
          JudgeRequest r = batch.get(k);
          if (answers1.get(k) == null) {
            failed += answers1.failed(k) ? 1 : 0;
            continue;
          }
          judged++;
          String text = answers1.get(k).text();
          SingleJudgment j = new SingleJudgment(r.questionId(), model, List.of(judgeName, r.judgePrompt()),
              r.userPrompt(), text, Verdicts.rating(text), r.turn(), now());
          all.add(j);
          if (log != null) {
            log.append(j);
          }
        }
        LOG.info("judged {}/{}", Math.min(todo.size(), start + batchSize), todo.size());
      }
    }
    return new Result<>(all, WorkCounts.of("judgments", planned, planned - todo.size() + judged, failed),
        failures.stopReason(), failures.file());
  }

  /**
   * Pairwise grading of model_1 against model_2 on every question both answered, both turns, both orders.
   */
  public Result<PairJudgment> judgePairwise(String model1, Map<Integer, ModelAnswer> answers1, String model2,
      Map<Integer, ModelAnswer> answers2, Path outFile) {
    Set<String> done = new HashSet<>();
    if (outFile != null) {
      for (PairJudgment j : JsonlAppender.readComplete(outFile, PairJudgment.class)) {
        if (!Verdicts.API_ERROR_OUTPUT.equals(j.g1Judgment()) && !Verdicts.API_ERROR_OUTPUT.equals(j.g2Judgment())) {
          done.add(key(j.questionId(), j.model1() + "\u0000" + j.model2(), j.turn(), j.judge()));
        }
      }
    }
    // both orders of every (question, turn) not judged yet, grouped by turn and reference prompt
    List<PairGroup> groups = new ArrayList<>();
    long judgedBefore = 0;
    long pending = 0;
    for (int turn = 1; turn <= 2; turn++) {
      for (boolean ref : new boolean[] {false, true}) {
        PairGroup g = new PairGroup(turn, new ArrayList<>(), new ArrayList<>());
        for (Question q : bench.questions(ref)) {
          ModelAnswer a1 = answers1.get(q.questionId());
          ModelAnswer a2 = answers2.get(q.questionId());
          if (a1 == null || a2 == null || q.turns().size() < turn) {
            continue;
          }
          String prompt = JudgeRequests.pairPromptName(q.category(), turn);
          if (done.contains(key(q.questionId(), model1 + "\u0000" + model2, turn, List.of(judgeName, prompt)))) {
            judgedBefore += 2;
            continue;
          }
          g.ab().add(requests.pair(q, a1, a2, turn));
          g.ba().add(requests.pair(q, a2, a1, turn));
        }
        pending += 2L * g.ab().size();
        groups.add(g);
      }
    }
    List<PairJudgment> out = new ArrayList<>();
    int failed = 0;
    int judged = 0;
    FailureLog failures = failureLog(outFile);
    try (failures; JsonlAppender log = outFile == null ? null : JsonlAppender.open(outFile);
        Progress.Task task = progress.start("judge " + model1 + " vs " + model2, "calls", judgedBefore + pending,
            judgedBefore)) {
      for (PairGroup g : groups) {
        List<JudgeRequest> g1 = g.ab();
        List<JudgeRequest> g2 = g.ba();
        for (int start = 0; start < g1.size() && !failures.stopped(); start += batchSize) {
          int end = Math.min(g1.size(), start + batchSize);
          List<JudgeRequest> batch = new ArrayList<>(g1.subList(start, end));
          batch.addAll(g2.subList(start, end));
          FailureLog.Answers answers = call(batch, failures);
          task.advance(batch.size());
          int m = end - start;
          for (int k = 0; k < m; k++) {
            JudgeRequest r1 = batch.get(k);
            JudgeRequest r2 = batch.get(m + k);
            if (answers.get(k) == null || answers.get(m + k) == null) {
              // both games or neither: a pair judgment with one game missing is no verdict
              failed += answers.failed(k) || answers.failed(m + k) ? 1 : 0;
              continue;
            }
            judged++;
            String t1 = answers.get(k).text();
            String t2 = answers.get(m + k).text();
            PairJudgment j = new PairJudgment(r1.questionId(), model1, model2,
                map(winner(r1, t1), "model_1", "model_2"),
                map(winner(r2, t2), "model_2", "model_1"),
                List.of(judgeName, r1.judgePrompt()), r1.userPrompt(), t1, r2.userPrompt(), t2, g.turn(), now());
            out.add(j);
            if (log != null) {
              log.append(j);
            }
          }
        }
      }
    }
    long planned = (judgedBefore + pending) / 2;
    return new Result<>(out, WorkCounts.of("pair judgments", planned, judgedBefore / 2 + judged, failed),
        failures.stopReason(), failures.file());
  }

  /** Judge requests of one turn and prompt kind, in both answer orders. */
  private record PairGroup(int turn, List<JudgeRequest> ab, List<JudgeRequest> ba) {}

  /** "A", "B", "tie" or "error" by the prompt's output format ({@code [[A]]} or {@code [[rating_a,rating_b]]}). */
  private String winner(JudgeRequest r, String judgment) {
    String format = bench.judgePrompt(r.judgePrompt()).outputFormat();
    return "[[rating_a,rating_b]]".equals(format) ? Verdicts.twoScoreWinner(judgment) : Verdicts.pairWinner(judgment);
  }

  private static String map(String winner, String a, String b) {
    return switch (winner) {
      case "A" -> a;
      case "B" -> b;
      default -> winner;
    };
  }

  /** Calls the judge; a call that fails for good is recorded in {@code failures} and has no answer. */
  private FailureLog.Answers call(List<JudgeRequest> batch, FailureLog failures) {
    List<ChatRequest> reqs = batch.stream().map(r -> ChatRequest.of(r.messages(), JUDGE_PARAMS)).toList();
    return failures.answer(judge, reqs, k -> "question " + batch.get(k).questionId() + " turn " + batch.get(k).turn()
        + " (" + batch.get(k).judgePrompt() + ")", "judge");
  }

  private static String key(int qid, String model, int turn, List<String> judge) {
    return qid + "\u0000" + model + "\u0000" + turn + "\u0000" + String.join("\u0000", judge);
  }

  private static double now() {
    return System.currentTimeMillis() / 1000.0;
  }
}
