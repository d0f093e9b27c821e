package dev.zephyr.eval.mtbench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import dev.zephyr.core.InvalidInputException;
import dev.zephyr.core.TemplateException;
import dev.zephyr.core.chat.Message;
import dev.zephyr.core.chat.ProviderException;
import dev.zephyr.core.chat.Role;
import dev.zephyr.core.io.Json;
import dev.zephyr.core.io.Jsonl;
import dev.zephyr.core.job.FailureLog;
import dev.zephyr.core.job.WorkCounts;
import dev.zephyr.core.testing.TestData;
import dev.zephyr.eval.testing.ScriptedChatModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MtBenchTest {
  static final Path RES = Paths.get("src/test/resources/mtbench");
  static final MtBench BENCH = MtBench.load(TestData.path("mt_bench"));

  @Test
  void loadsTheFastChatDirectory() {
    assertThat(BENCH.questions()).hasSize(80);
    assertThat(BENCH.questions().get(0).questionId()).isEqualTo(81);
    assertThat(BENCH.judgePrompts()).hasSize(8);
    assertThat(BENCH.referenceAnswers("gpt-4")).hasSize(30).containsKeys(101, 130);
    assertThat(BENCH.referenceAnswers("some-other-judge")).isEmpty();
    assertThat(BENCH.questions(true)).hasSize(30);
    assertThat(BENCH.category(125)).isEqualTo("coding");
    assertThat(BENCH.category(9999)).isNull();
  }

  @Test
  void singleJudgeRequestsAreByteIdenticalToFastChat() throws Exception {
    Map<Integer, ModelAnswer> answers = MtBench.readAnswers(RES.resolve("tiny-zephyr.jsonl"));
    JudgeRequests jr = new JudgeRequests(BENCH, BENCH.referenceAnswers("gpt-4"), "gpt-4.jsonl");
    List<JudgeRequest> got = jr.allSingle(answers);
    List<String> golden = Files.readAllLines(RES.resolve("dry_run_golden.jsonl"));
    assertThat(got).hasSize(golden.size());
    for (int i = 0; i < got.size(); i++) {
      assertThat(Json.mapper().readTree(Jsonl.toLine(got.get(i))))
          .as("request %d", i).isEqualTo(Json.mapper().readTree(golden.get(i)));
    }
    // math question, second turn: reference-based multi-turn prompt with the model's own first answer in context
    JudgeRequest r = got.stream().filter(x -> x.questionId() == 111 && x.turn() == 2).findFirst().orElseThrow();
    assertThat(r.judgePrompt()).isEqualTo("single-math-v1-multi-turn");
    assertThat(r.userPrompt()).contains("Answer one to 111 with {braces} and {{double}}");
  }

  @Test
  void pairwiseRequestsAreByteIdenticalToFastChat() throws Exception {
    Map<Integer, ModelAnswer> a = MtBench.readAnswers(RES.resolve("tiny-zephyr.jsonl"));
    JudgeRequests jr = new JudgeRequests(BENCH, BENCH.referenceAnswers("gpt-4"), "gpt-4.jsonl");
    List<String> golden = Files.readAllLines(RES.resolve("pair_golden.jsonl"));
    int[][] cases = {{81, 1}, {81, 2}, {101, 1}, {101, 2}};
    for (int i = 0; i < cases.length; i++) {
      int qid = cases[i][0];
      ModelAnswer b = new ModelAnswer(qid, "x", "b", List.of(new ModelAnswer.Choice(0,
          List.of("B first " + qid, "B second " + qid))), 0);
      Question q = BENCH.questions().stream().filter(x -> x.questionId() == qid).findFirst().orElseThrow();
      JudgeRequest r = jr.pair(q, a.get(qid), b, cases[i][1]);
      assertThat(Json.mapper().readTree(Jsonl.toLine(r))).isEqualTo(Json.mapper().readTree(golden.get(i)));
    }
  }

  @Test
  void allPairwiseRequestsCoverCommonQuestionsInBothOrdersInFastChatOrder() {
    Map<Integer, ModelAnswer> a = MtBench.readAnswers(RES.resolve("tiny-zephyr.jsonl"));
    Map<Integer, ModelAnswer> b = new java.util.LinkedHashMap<>();
    for (int qid : new int[] {81, 101}) {
      b.put(qid, new ModelAnswer(qid, "x", "b", List.of(new ModelAnswer.Choice(0,
          List.of("B first " + qid, "B second " + qid))), 0));
    }
    JudgeRequests jr = new JudgeRequests(BENCH, BENCH.referenceAnswers("gpt-4"), "gpt-4.jsonl");
    List<JudgeRequest> got = jr.allPair(a, b);
    Question q81 = BENCH.questions().stream().filter(x -> x.questionId() == 81).findFirst().orElseThrow();
    Question q101 = BENCH.questions().stream().filter(x -> x.questionId() == 101).findFirst().orElseThrow();
    // turn 1 without reference (81), turn 1 with reference (101), then turn 2 likewise; A/B then B/A each
    assertThat(got).containsExactly(
        jr.pair(q81, a.get(81), b.get(81), 1), jr.pair(q81, b.get(81), a.get(81), 1),
        jr.pair(q101, a.get(101), b.get(101), 1), jr.pair(q101, b.get(101), a.get(101), 1),
        jr.pair(q81, a.get(81), b.get(81), 2), jr.pair(q81, b.get(81), a.get(81), 2),
        jr.pair(q101, a.get(101), b.get(101), 2), jr.pair(q101, b.get(101), a.get(101), 2));
  }

  @Test
  void missingReferenceIsAClearError() {
    JudgeRequests jr = new JudgeRequests(BENCH, Map.of(), "reference_answer/judge.jsonl");
    Map<Integer, ModelAnswer> answers = MtBench.readAnswers(RES.resolve("tiny-zephyr.jsonl"));
    assertThatThrownBy(() -> jr.allSingle(answers)).isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("question 101").hasMessageContaining("reference_answer/judge.jsonl");
  }

  @Test
  void pyFormatFollowsPythonStrFormat() {
    assertThat(PyFormat.format("{a} {{b}} {a}}}", Map.of("a", "{x}"))).isEqualTo("{x} {b} {x}}");
    assertThatThrownBy(() -> PyFormat.format("{missing}", Map.of())).isInstanceOf(TemplateException.class);
    assertThatThrownBy(() -> PyFormat.format("a } b", Map.of())).isInstanceOf(TemplateException.class);
  }

  @Test
  void ratingParsingMatchesFastChat() {
    assertThat(Verdicts.rating("Rating: [[8]]")).isEqualTo(8L);
    assertThat(Verdicts.rating("Rating: [[8.5]] and later [[3]]")).isEqualTo(8.5);
    // the first double-bracket match wins even if a single bracket comes earlier
    assertThat(Verdicts.rating("see [2] ... Rating: [[7]]")).isEqualTo(7L);
    // fallback to single brackets only when no double-bracket match exists
    assertThat(Verdicts.rating("Rating: [6]")).isEqualTo(6L);
    // no range check
    assertThat(Verdicts.rating("[[11]]")).isEqualTo(11L);
    assertThat(Verdicts.rating("[[8.]]")).isEqualTo(8.0);
    assertThat(Verdicts.rating("Rating: 8/10")).isEqualTo(-1L);
    assertThat(Verdicts.rating("[[ 8 ]]")).isEqualTo(-1L);
    assertThat(Verdicts.pairWinner("[[B]] but also [[A]]")).isEqualTo("A");
    assertThat(Verdicts.pairWinner("verdict: [[C]]")).isEqualTo("tie");
    assertThat(Verdicts.pairWinner("[[D]]")).isEqualTo("error");
    assertThat(Verdicts.twoScoreWinner("[[7, 7.05]]")).isEqualTo("tie");
    assertThat(Verdicts.twoScoreWinner("[3,9]")).isEqualTo("B");
  }

  @Test
  void singleJudgingWritesFastChatJudgmentsAndResumes(@TempDir Path tmp) throws Exception {
    Map<Integer, ModelAnswer> answers = MtBench.readAnswers(RES.resolve("tiny-zephyr.jsonl"));
    // the judge rates by question id; question 95 turn 2 gets an unparseable answer
    ScriptedChatModel judge = ScriptedChatModel.text("judge", r -> {
      String u = r.messages().get(1).content();
      if (u.contains("Answer two to 95")) {
        return "I cannot rate this.";
      }
      return u.contains("Answer one to 81") ? "Rating: [[9]]" : "Rating: [[4.5]]";
    });
    Path out = tmp.resolve("model_judgment/gpt-4_single.jsonl");
    MtBenchJudge mj = new MtBenchJudge(judge, "gpt-4", BENCH, 5);
    MtBenchJudge.Result<SingleJudgment> result = mj.judgeSingle("tiny-zephyr", answers, out);
    List<SingleJudgment> js = result.judgments();
    assertThat(js).hasSize(12);
    // an unparseable verdict is a judgment (score -1), not a failed call
    assertThat(result.counts()).isEqualTo(new WorkCounts("judgments", 12, 0, 0));
    assertThat(judge.seen).allSatisfy(r -> {
      assertThat(r.params().temperature()).isEqualTo(0);
      assertThat(r.params().maxTokens()).isEqualTo(2048);
      assertThat(r.messages().get(0).role()).isEqualTo(Role.SYSTEM);
    });
    JsonNode first = Json.mapper().readTree(Files.readAllLines(out).get(0));
    assertThat(first.get("judge").toString()).isEqualTo("[\"gpt-4\",\"single-v1\"]");
    assertThat(first.get("score").isIntegralNumber()).isTrue();
    assertThat(first.get("score").asInt()).isEqualTo(9);
    assertThat(first.has("user_prompt") && first.has("tstamp") && first.has("turn")).isTrue();

    // rerun: nothing left to judge
    ScriptedChatModel judge2 = ScriptedChatModel.text("judge", r -> "Rating: [[1]]");
    List<SingleJudgment> again = new MtBenchJudge(judge2, "gpt-4", BENCH, 5).judgeSingle("tiny-zephyr", answers, out)
        .judgments();
    assertThat(judge2.seen).isEmpty();
    // the rerun returns the judgments of the first run, read back from the file in the same order
    assertThat(again).extracting(SingleJudgment::questionId, SingleJudgment::turn, SingleJudgment::judgment,
        SingleJudgment::scoreValue, SingleJudgment::tstamp).containsExactlyElementsOf(js.stream()
        .map(j -> org.assertj.core.groups.Tuple.tuple(j.questionId(), j.turn(), j.judgment(), j.scoreValue(),
            j.tstamp())).toList());

    // 81 turn 1 = 9 (q81 turn 2 also contains "Answer one to 81" in context -> 9); 95 turn 2 fails (-1);
    // the other 9 judgments are 4.5. Pooled mean = (9 + 9 + 9 * 4.5) / 11
    MtBenchScores.SingleResult res = MtBenchScores.single(js, BENCH::category).get(0);
    assertThat(res.failed()).isEqualTo(1);
    assertThat(res.judged()).isEqualTo(11);
    assertThat(res.score()).isCloseTo((9 + 9 + 9 * 4.5) / 11, within(1e-12));
    assertThat(res.turn1()).isCloseTo((9 + 5 * 4.5) / 6, within(1e-12));
    assertThat(res.turn2()).isCloseTo((9 + 4 * 4.5) / 5, within(1e-12));
    assertThat(res.categories()).containsEntry("writing", 9.0).containsEntry("roleplay", 4.5)
        .containsEntry("math", 4.5);
  }

  @Test
  void aTornLastLineFromACrashIsDroppedAndRejudged(@TempDir Path tmp) throws Exception {
    Map<Integer, ModelAnswer> answers = Map.of(81, MtBench.readAnswers(RES.resolve("tiny-zephyr.jsonl")).get(81));
    Path out = tmp.resolve("gpt-4_single.jsonl");
    ScriptedChatModel judge = ScriptedChatModel.text("judge", r -> "[[6]]");
    new MtBenchJudge(judge, "gpt-4", BENCH, 1).judgeSingle("m", answers, out);
    List<String> lines = Files.readAllLines(out);
    // simulate a crash in the middle of writing the second judgment
    Files.writeString(out, lines.get(0) + "\n" + lines.get(1).substring(0, 40));
    ScriptedChatModel judge2 = ScriptedChatModel.text("judge", r -> "[[3]]");
    List<SingleJudgment> js = new MtBenchJudge(judge2, "gpt-4", BENCH, 1).judgeSingle("m", answers, out).judgments();
    assertThat(judge2.seen).hasSize(1);
    assertThat(js).extracting(SingleJudgment::turn, SingleJudgment::scoreValue)
        .containsExactly(org.assertj.core.groups.Tuple.tuple(1, 6.0), org.assertj.core.groups.Tuple.tuple(2, 3.0));
  }

  @Test
  void aFailedJudgeCallIsListedAsAFailureNotWrittenAsAJudgmentAndJudgedByTheNextRun(@TempDir Path tmp)
      throws Exception {
    Map<Integer, ModelAnswer> answers = Map.of(81, MtBench.readAnswers(RES.resolve("tiny-zephyr.jsonl")).get(81));
    Path out = tmp.resolve("gpt-4_single.jsonl");
    ScriptedChatModel down = ScriptedChatModel.text("judge", r -> {
      throw new ProviderException("fake", 500, true, "down");
    });
    MtBenchJudge.Result<SingleJudgment> failed = new MtBenchJudge(down, "gpt-4", BENCH, 4).judgeSingle("m", answers,
        out);
    assertThat(failed.judgments()).isEmpty();
    assertThat(failed.counts()).isEqualTo(new WorkCounts("judgments", 0, 2, 0));
    assertThat(Jsonl.readAll(out)).as("no $ERROR$ / -1 line").isEmpty();
    assertThat(failed.failuresFile()).isEqualTo(tmp.resolve("gpt-4_single.jsonl.failures"));
    assertThat(Jsonl.readAll(failed.failuresFile(), FailureLog.Entry.class)).extracting(FailureLog.Entry::item,
        FailureLog.Entry::status).containsExactly(
            org.assertj.core.groups.Tuple.tuple("question 81 turn 1 (single-v1)", 500),
            org.assertj.core.groups.Tuple.tuple("question 81 turn 2 (single-v1-multi-turn)", 500));

    // one failing call in a batch does not take the others down; the rerun asks only for what failed
    ScriptedChatModel flaky = ScriptedChatModel.text("judge", r -> {
      if (r.messages().get(1).content().contains("Answer two to 81")) {
        throw new ProviderException("fake", 400, false, "bad request");
      }
      return "[[7]]";
    });
    MtBenchJudge.Result<SingleJudgment> half = new MtBenchJudge(flaky, "gpt-4", BENCH, 4).judgeSingle("m", answers,
        out);
    assertThat(half.judgments()).extracting(SingleJudgment::turn, SingleJudgment::scoreValue)
        .containsExactly(org.assertj.core.groups.Tuple.tuple(1, 7.0));
    assertThat(half.counts()).isEqualTo(new WorkCounts("judgments", 1, 1, 0));

    ScriptedChatModel fixed = ScriptedChatModel.text("judge", r -> "[[5]]");
    MtBenchJudge.Result<SingleJudgment> done = new MtBenchJudge(fixed, "gpt-4", BENCH, 4).judgeSingle("m", answers,
        out);
    assertThat(fixed.seen).hasSize(1);
    assertThat(done.counts()).isEqualTo(new WorkCounts("judgments", 2, 0, 0));
    assertThat(done.judgments()).extracting(SingleJudgment::turn, SingleJudgment::scoreValue).containsExactly(
        org.assertj.core.groups.Tuple.tuple(1, 7.0), org.assertj.core.groups.Tuple.tuple(2, 5.0));
    assertThat(done.failuresFile()).as("a run without failures leaves no failures file").doesNotExist();
  }

  @Test
  void errorLinesOfEarlierVersionsAreJudgedAgain(@TempDir Path tmp) throws Exception {
    Map<Integer, ModelAnswer> answers = Map.of(81, MtBench.readAnswers(RES.resolve("tiny-zephyr.jsonl")).get(81));
    Path out = tmp.resolve("gpt-4_single.jsonl");
    Files.writeString(out, "{\"question_id\": 81, \"model\": \"m\", \"judge\": [\"gpt-4\", \"single-v1\"],"
        + " \"user_prompt\": \"\", \"judgment\": \"$ERROR$\", \"score\": -1, \"turn\": 1, \"tstamp\": 0}\n");
    ScriptedChatModel judge = ScriptedChatModel.text("judge", r -> "[[8]]");
    MtBenchJudge.Result<SingleJudgment> r = new MtBenchJudge(judge, "gpt-4", BENCH, 4).judgeSingle("m", answers, out);
    assertThat(judge.seen).hasSize(2);
    assertThat(r.counts().complete()).isTrue();
    assertThat(r.judgments()).extracting(SingleJudgment::scoreValue).containsExactly(8.0, 8.0);
  }

  @Test
  void pairwiseWritesAVerdictOnlyWhenBothGamesWereJudged(@TempDir Path tmp) {
    Map<Integer, ModelAnswer> a = Map.of(81, MtBench.readAnswers(RES.resolve("tiny-zephyr.jsonl")).get(81));
    Map<Integer, ModelAnswer> b = Map.of(81, new ModelAnswer(81, "x", "base", List.of(new ModelAnswer.Choice(0,
        List.of("B first", "B second"))), 0));
    // game 2 of turn 1 (base shown first) fails
    ScriptedChatModel judge = ScriptedChatModel.text("judge", r -> {
      String u = r.messages().get(1).content();
      if (u.indexOf("B first") < u.indexOf("Answer one to 81") && !u.contains("B second")) {
        throw new ProviderException("fake", 503, true, "busy");
      }
      return "[[A]]";
    });
    Path file = tmp.resolve("pair.jsonl");
    MtBenchJudge.Result<PairJudgment> r = new MtBenchJudge(judge, "gpt-4", BENCH, 4)
        .judgePairwise("tiny-zephyr", a, "base", b, file);
    assertThat(r.judgments()).extracting(PairJudgment::turn).containsExactly(2);
    assertThat(r.counts()).isEqualTo(new WorkCounts("pair judgments", 1, 1, 0));
    assertThat(Jsonl.readAll(file)).hasSize(1);
  }

  @Test
  void pooledMeanIsNotTheMeanOfTurnMeans() {
    List<SingleJudgment> js = List.of(
        sj(81, "m", 1, 10), sj(82, "m", 1, 8), sj(81, "m", 2, 2), sj(82, "m", 2, -1));
    MtBenchScores.SingleResult r = MtBenchScores.single(js, BENCH::category).get(0);
    assertThat(r.score()).isCloseTo(20.0 / 3, within(1e-12));
    assertThat((r.turn1() + r.turn2()) / 2).isCloseTo(5.5, within(1e-12));
  }

  @Test
  void pairwiseJudgingPlaysBothOrdersAndCountsInconsistencyAsTie(@TempDir Path tmp) {
    Map<Integer, ModelAnswer> a = MtBench.readAnswers(RES.resolve("tiny-zephyr.jsonl"));
    Map<Integer, ModelAnswer> b = new java.util.HashMap<>();
    a.forEach((k, v) -> b.put(k, new ModelAnswer(k, "x", "base", List.of(new ModelAnswer.Choice(0,
        List.of("B first " + k, "B second " + k))), 0)));
    // a judge that always prefers whatever is shown as Assistant A: every game pair is inconsistent -> tie
    ScriptedChatModel biased = ScriptedChatModel.text("judge", r -> "[[A]]");
    List<PairJudgment> pj = new MtBenchJudge(biased, "gpt-4", BENCH, 3)
        .judgePairwise("tiny-zephyr", a, "base", b, tmp.resolve("pair.jsonl")).judgments();
    assertThat(pj).hasSize(12);
    assertThat(biased.seen).hasSize(24);
    assertThat(pj.get(0).g1Winner()).isEqualTo("model_1");
    assertThat(pj.get(0).g2Winner()).isEqualTo("model_2");
    MtBenchScores.PairResult r = MtBenchScores.pairwise(pj, "base").get(0);
    assertThat(r.model()).isEqualTo("tiny-zephyr");
    assertThat(r.tie()).isEqualTo(12);
    assertThat(r.winRateAdjusted()).isEqualTo(0.5);

    // a judge that prefers tiny-zephyr's answers in both orders
    ScriptedChatModel fair = ScriptedChatModel.text("judge", r2 -> {
      String u = r2.messages().get(1).content();
      int ia = u.indexOf("Answer one to");
      int ib = u.indexOf("B first");
      return ia < ib ? "[[A]]" : "[[B]]";
    });
    List<PairJudgment> pj2 = new MtBenchJudge(fair, "gpt-4", BENCH, 3)
        .judgePairwise("tiny-zephyr", a, "base", b, null).judgments();
    MtBenchScores.PairResult r2 = MtBenchScores.pairwise(pj2, "base").get(0);
    assertThat(r2.win()).isEqualTo(12);
    assertThat(r2.winRate()).isEqualTo(1.0);
  }

  @Test
  void pairwiseAggregationDropsErrorsAndTreatsGame1TieAsTie() {
    List<PairJudgment> js = List.of(
        pj("model_1", "model_1"), pj("model_2", "model_2"), pj("tie", "tie"), pj("tie", "model_1"),
        pj("error", "model_1"), pj("model_1", "model_1"));
    MtBenchScores.PairResult r = MtBenchScores.pairwise(js, "base").get(0);
    assertThat(r.win()).isEqualTo(2);
    assertThat(r.loss()).isEqualTo(1);
    assertThat(r.tie()).isEqualTo(2);
    assertThat(r.winRate()).isCloseTo(0.4, within(1e-12));
    assertThat(r.winRateAdjusted()).isCloseTo(0.6, within(1e-12));
  }

  @Test
  void answerGenerationKeepsTheModelsOwnFirstAnswerAndResumes(@TempDir Path tmp) {
    List<Question> qs = BENCH.questions().stream()
        .filter(q -> List.of(81, 111, 141).contains(q.questionId())).toList();
    ScriptedChatModel model = ScriptedChatModel.text("tiny", r ->
        "  reply " + r.messages().size() + " t=" + r.params().temperature() + "\n");
    Path file = tmp.resolve("model_answer/tiny.jsonl");
    AnswerGenerator gen = new AnswerGenerator(model, "tiny", 1024, 1, 2, null);
    AnswerGenerator.Result result = gen.generate(qs, file);
    assertThat(result.counts()).isEqualTo(new WorkCounts("questions", 3, 0, 0));
    Map<Integer, ModelAnswer> out = result.answers();
    assertThat(out).containsOnlyKeys(81, 111, 141);
    assertThat(out.get(81).choices().get(0).turns()).containsExactly("reply 1 t=0.7", "reply 3 t=0.7");
    assertThat(out.get(111).choices().get(0).turns()).containsExactly("reply 1 t=0.0", "reply 3 t=0.0");
    assertThat(out.get(141).choices().get(0).turns().get(0)).isEqualTo("reply 1 t=0.1");
    assertThat(out.get(81).answerId()).hasSize(22);
    assertThat(model.seen).allSatisfy(r -> assertThat(r.params().maxTokens()).isEqualTo(1024));
    // the second turn sees the model's own first answer
    List<Message> turn2 = model.seen.stream().filter(r -> r.messages().size() == 3).findFirst().orElseThrow()
        .messages();
    assertThat(turn2.get(1)).isEqualTo(Message.assistant("reply 1 t=0.7"));
    int calls = model.seen.size();
    gen.generate(qs, file);
    assertThat(model.seen).hasSize(calls);
    assertThat(Jsonl.readAll(file)).extracting(n -> n.get("question_id").asInt()).containsExactly(81, 111, 141);
  }

  @Test
  void aQuestionWithAFailedCallIsNotWrittenAndIsAnsweredByTheNextRun(@TempDir Path tmp) throws Exception {
    List<Question> qs = BENCH.questions().stream()
        .filter(q -> List.of(81, 111, 141).contains(q.questionId())).toList();
    Path file = tmp.resolve("model_answer/tiny.jsonl");
    // the second turn of question 111 fails for good
    ScriptedChatModel flaky = ScriptedChatModel.text("tiny", r -> {
      if (r.messages().size() == 3 && r.messages().get(0).content().equals(qs.get(1).turns().get(0))) {
        throw new ProviderException("tiny", 503, true, "overloaded");
      }
      return "reply " + r.messages().size();
    });
    AnswerGenerator.Result first = new AnswerGenerator(flaky, "tiny", 64, 1, 3, null).generate(qs, file);
    assertThat(first.counts()).isEqualTo(new WorkCounts("questions", 2, 1, 0));
    assertThat(first.answers()).containsOnlyKeys(81, 141);
    assertThat(Files.readString(file)).as("no ERROR answer").doesNotContain("ERROR");
    assertThat(Files.readString(file.resolveSibling("tiny.jsonl.failures"))).contains("question 111")
        .contains("overloaded");

    ScriptedChatModel fixed = ScriptedChatModel.text("tiny", r -> "reply " + r.messages().size());
    AnswerGenerator.Result second = new AnswerGenerator(fixed, "tiny", 64, 1, 3, null).generate(qs, file);
    assertThat(fixed.seen).hasSize(2); // both turns of question 111 only
    assertThat(second.counts()).isEqualTo(new WorkCounts("questions", 3, 0, 0));
    assertThat(second.answers().get(111).choices().get(0).turns()).containsExactly("reply 1", "reply 3");
    assertThat(file.resolveSibling("tiny.jsonl.failures")).doesNotExist();
  }

  private static SingleJudgment sj(int q, String m, int turn, double score) {
    return new SingleJudgment(q, m, List.of("gpt-4", "single-v1"), "", "", score, turn, 0);
  }

  private static PairJudgment pj(String g1, String g2) {
    return new PairJudgment(81, "m", "base", g1, g2, List.of("gpt-4", "pair-v2"), "", "", "", "", 1, 0);
  }
}
