package dev.zephyr.data.feedback;

import dev.zephyr.core.chat.limits.RetryingChatModel;
import dev.zephyr.core.chat.limits.RetryPolicy;
import static org.assertj.core.api.Assertions.assertThat;

import dev.zephyr.core.chat.ChatModel;
import dev.zephyr.core.chat.ChatRequest;
import dev.zephyr.core.chat.SamplingParams;
import dev.zephyr.core.chat.cache.CachedChatModel;
import dev.zephyr.core.chat.cache.ResponseStore;
import dev.zephyr.core.chat.openai.OpenAiChatModel;
import dev.zephyr.core.io.Jsonl;
import dev.zephyr.core.progress.Progress;
import dev.zephyr.core.testing.FakeOpenAiServer;
import dev.zephyr.core.testing.FakeOpenAiServer.Fault;
import dev.zephyr.core.testing.TestData;
import dev.zephyr.data.rows.PreferenceRecord;
import dev.zephyr.data.rows.RatingRecord.RatedCompletion;
import dev.zephyr.data.rows.CompletionRecord;
import dev.zephyr.data.rows.PromptRecord;
import dev.zephyr.data.rows.RatingRecord;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(120)
class FeedbackCollectorTest {
  private static final RetryPolicy FAST_RETRIES = RetryPolicy.retries(4).withInitialBackoff(Duration.ofMillis(5));

  @TempDir Path dir;
  private FakeOpenAiServer server;
  private final List<ChatModel> models = new ArrayList<>();
  private final java.util.concurrent.atomic.AtomicLong progressSteps = new java.util.concurrent.atomic.AtomicLong();

  @BeforeEach
  void start() {
    server = FakeOpenAiServer.start();
  }

  @AfterEach
  void stop() {
    models.forEach(ChatModel::close);
    server.close();
  }

  private ChatModel endpoint(String model, ResponseStore store) {
    ChatModel m = new RetryingChatModel(OpenAiChatModel.builder().baseUrl(server.baseUrl()).modelName(model)
        .timeout(Duration.ofMillis(500)).maxConcurrency(16).build(), FAST_RETRIES);
    CachedChatModel cached = new CachedChatModel(m, store);
    models.add(cached);
    return cached;
  }

  private static List<PromptRecord> prompts(int n) {
    List<PromptRecord> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      String p = "Question number " + i + "?";
      out.add(new PromptRecord(PromptRecord.deriveId(p), p, i % 2 == 0 ? "sharegpt" : "flan"));
    }
    return out;
  }

  private FeedbackCollector.Summary runOverall(List<PromptRecord> prompts, Path out) {
    try (ResponseStore store = ResponseStore.open(out.resolve("cache.jsonl"))) {
      List<FeedbackCollector.PoolMember> pool = List.of(
          new FeedbackCollector.PoolMember("a", endpoint("teacher-a", store), SamplingParams.defaults(), true),
          new FeedbackCollector.PoolMember("b", endpoint("teacher-b", store), SamplingParams.defaults(), false));
      FeedbackCollector c = new FeedbackCollector(pool, endpoint("judge", store), OverallRubric.defaults(),
          Principles.load(TestData.path("ultrafeedback", "principles_system_prompts.json")), Binarizer.zephyr(42),
          new FeedbackCollector.Settings(4, 42, SamplingParams.greedy(256), 3, 5));
      progressSteps.set(0);
      return c.run(prompts, out, (task, unit, total, alreadyDone) -> {
        assertThat(total).isEqualTo(prompts.size() * 8L);
        progressSteps.set(alreadyDone);
        return (units, tokens) -> progressSteps.addAndGet(units);
      });
    }
  }

  @Test
  void collectsThroughInjectedFaultsWithEveryItemAccountedForAndResumesForFree() {
    Fault[] cycle = {Fault.RATE_LIMIT, Fault.SERVER_ERROR, Fault.SLOW, Fault.MALFORMED, Fault.TRUNCATED,
        Fault.NONE, Fault.NONE};
    // prompt 5's judgments are malformed on the first attempt (told apart by the attempt's request seed)
    String five = PromptRecord.deriveId("Question number 5?");
    Set<Long> firstAttemptSeeds = ConcurrentHashMap.newKeySet();
    for (int k = 0; k < 4; k++) {
      firstAttemptSeeds.add(Seeds.requestSeed(42, five, "judge", "overall/" + k, 0));
    }
    String poison = "Question number 3?";
    server.retryAfter("0").slowMillis(1_000)
        .faults((key, attempt) -> attempt == 0 ? cycle[Math.floorMod(key.hashCode(), cycle.length)] : Fault.NONE)
        .responder((model, request) -> {
          String last = request.messages().get(request.messages().size() - 1).content();
          if (model.equals("judge") && last.contains(poison)) {
            return "I refuse to give a number.";
          }
          if (model.equals("judge") && firstAttemptSeeds.contains(request.params().seed())) {
            return "Rating: [[eleven]]";
          }
          return FakeOpenAiServer.ratingOrAnswer(model, request);
        });
    Path out = dir.resolve("out");
    FeedbackCollector.Summary s = runOverall(prompts(12), out);

    assertThat(s.prompts()).isEqualTo(12);
    // the progress bar ends exactly at prompts x (K completions + K judgments)
    assertThat(progressSteps.get()).isEqualTo(12 * 8);
    assertThat(s.completionCalls()).isEqualTo(48);
    assertThat(s.completionFailures()).isZero();
    assertThat(s.ratedPrompts()).isEqualTo(12);
    // the poison prompt's 4 judgments fail after 3 attempts each; everything else is scored
    assertThat(s.judgmentFailures()).isEqualTo(4);
    assertThat(s.judgeCalls()).isEqualTo(44 + 4 * 3 + 4);
    assertThat(s.preferencePairs()).isEqualTo(11);
    assertThat(s.promptsWithoutPair()).isEqualTo(1);
    assertThat(server.seen()).extracting(FakeOpenAiServer.Seen::fault).contains(cycle);

    List<CompletionRecord> completions = Jsonl.readAll(out.resolve("completions.jsonl"), CompletionRecord.class);
    List<RatingRecord> ratings = Jsonl.readAll(out.resolve("ratings.jsonl"), RatingRecord.class);
    List<PreferenceRecord> prefs = Jsonl.readAll(out.resolve("preferences.jsonl"), PreferenceRecord.class);
    assertThat(completions).hasSize(12).allSatisfy(r -> assertThat(r.completions()).hasSize(4)
        .allSatisfy(x -> assertThat(x.response()).startsWith("Answer from teacher-")));
    // model a gets principle system prompts, model b does not
    assertThat(completions.stream().flatMap(r -> r.completions().stream()))
        .allSatisfy(x -> assertThat(x.principle() != null).isEqualTo(x.model().equals("a")));
    // 2 models, K = 4: each model twice per prompt, with distinct seeds and so distinct answers
    assertThat(completions).allSatisfy(r -> {
      assertThat(r.models()).containsOnly("a", "b").hasSize(4);
      assertThat(r.completions().stream().map(CompletionRecord.Sample::response).distinct().count()).isEqualTo(4);
    });
    assertThat(ratings).extracting(RatingRecord::promptId)
        .containsExactlyElementsOf(prompts(12).stream().map(PromptRecord::promptId).toList());
    RatingRecord poisoned = ratings.get(3);
    assertThat(poisoned.completions()).allSatisfy(c -> assertThat(c.overallScore()).isNull());
    assertThat(poisoned.failures()).hasSize(4).allSatisfy(f -> {
      assertThat(f.raw()).containsExactly("I refuse to give a number.", "I refuse to give a number.",
          "I refuse to give a number.");
      assertThat(f.error()).contains("no [[rating]]");
    });
    for (RatingRecord r : ratings) {
      if (r != poisoned) {
        for (RatedCompletion c : r.completions()) {
          // the score is exactly what the judge said about this completion
          String judgePrompt = OverallRubric.defaults().messages(r.prompt(), c.response()).get(1).content();
          assertThat(c.overallScore()).isEqualTo((double) FakeOpenAiServer.expectedRating(judgePrompt));
          assertThat(c.critique()).endsWith("Rating: [[" + c.overallScore().intValue() + "]]");
        }
      }
    }
    assertThat(prefs).hasSize(11).allSatisfy(p -> {
      assertThat(p.scoreChosen()).isGreaterThanOrEqualTo(p.scoreRejected());
      assertThat(p.chosen().get(0).content()).isEqualTo(p.prompt());
    });

    // a rerun of a finished job calls nobody and changes nothing
    server.resetCounts();
    FeedbackCollector.Summary again = runOverall(prompts(12), out);
    assertThat(server.requestCount()).isZero();
    assertThat(again.alreadyRated()).isEqualTo(12);
    assertThat(progressSteps.get()).isEqualTo(12 * 8);
    assertThat(Jsonl.readAll(out.resolve("ratings.jsonl"), RatingRecord.class)).hasSize(12);
    assertThat(Jsonl.readAll(out.resolve("preferences.jsonl"), PreferenceRecord.class)).isEqualTo(prefs);

    // more prompts later: only the new ones are worked on
    FeedbackCollector.Summary more = runOverall(prompts(14), out);
    assertThat(more.completionCalls()).isEqualTo(8);
    assertThat(progressSteps.get()).isEqualTo(14 * 8);
    assertThat(Jsonl.readAll(out.resolve("completions.jsonl"), CompletionRecord.class)).hasSize(14);
  }

  private FeedbackCollector.Summary runWithJudgeAt(FakeOpenAiServer judgeServer, List<PromptRecord> prompts, Path out) {
    try (ResponseStore store = ResponseStore.open(out.resolve("cache.jsonl"))) {
      List<FeedbackCollector.PoolMember> pool = List.of(
          new FeedbackCollector.PoolMember("a", endpoint("teacher-a", store), SamplingParams.defaults(), false),
          new FeedbackCollector.PoolMember("b", endpoint("teacher-b", store), SamplingParams.defaults(), false));
      ChatModel judge = new RetryingChatModel(OpenAiChatModel.builder().baseUrl(judgeServer.baseUrl())
          .modelName("judge").timeout(Duration.ofMillis(500)).maxConcurrency(4).build(), FAST_RETRIES);
      CachedChatModel cachedJudge = new CachedChatModel(judge, store);
      models.add(cachedJudge);
      FeedbackCollector c = new FeedbackCollector(pool, cachedJudge, OverallRubric.defaults(), null,
          Binarizer.zephyr(42), new FeedbackCollector.Settings(4, 42, SamplingParams.greedy(256), 3, 4));
      return c.run(prompts, out, Progress.NONE);
    }
  }

  @Test
  void aJudgeThatRejectsTheKeyRatesNothingStopsAndTheRerunWithAGoodKeyFinishes() throws Exception {
    server.responder(FakeOpenAiServer::ratingOrAnswer);
    Path out = dir.resolve("badkey");
    try (FakeOpenAiServer judgeServer = FakeOpenAiServer.start()) {
      judgeServer.responder(FakeOpenAiServer::ratingOrAnswer).faults((key, attempt) -> Fault.BAD_KEY);
      FeedbackCollector.Summary s = runWithJudgeAt(judgeServer, prompts(12), out);
      assertThat(s.complete()).isFalse();
      assertThat(s.counts().done()).isZero();
      assertThat(s.counts().failed()).isPositive();
      assertThat(s.counts().failed() + s.counts().pending()).isEqualTo(12);
      // three 401s in a row stop the judge: far fewer requests than the 48 judgments, every one a failed call
      assertThat(s.judgeCallFailures()).isEqualTo(judgeServer.requestCount());
      assertThat(judgeServer.requestCount()).isLessThan(12);
      assertThat(s.stopReason()).contains("judge").contains("HTTP 401").contains("authentication failed at "
          + judgeServer.baseUrl());
      assertThat(Jsonl.readAll(out.resolve("ratings.jsonl"))).isEmpty();
      assertThat(out.resolve("preferences.jsonl")).doesNotExist();
      List<com.fasterxml.jackson.databind.JsonNode> failures = Jsonl.readAll(s.failuresFile());
      assertThat(failures).hasSize((int) s.judgeCallFailures()).allSatisfy(f -> {
        assertThat(f.get("status").asInt()).isEqualTo(401);
        assertThat(f.get("call").asText()).startsWith("judge overall/");
      });
      // what completed is kept: those completions are not asked for again
      assertThat(Jsonl.readAll(out.resolve("completions.jsonl"), CompletionRecord.class))
          .allSatisfy(r -> assertThat(r.completions()).allSatisfy(x -> assertThat(x.ok()).isTrue()));
      long completedBefore = Jsonl.readAll(out.resolve("completions.jsonl")).size();

      judgeServer.faults((key, attempt) -> Fault.NONE);
      server.resetCounts();
      FeedbackCollector.Summary fixed = runWithJudgeAt(judgeServer, prompts(12), out);
      assertThat(fixed.complete()).isTrue();
      assertThat(fixed.counts()).isEqualTo(new dev.zephyr.core.job.WorkCounts("prompts", 12, 0, 0));
      assertThat(fixed.alreadyRated()).isZero();
      assertThat(server.requestCount()).isEqualTo((12 - completedBefore) * 4);
      assertThat(Jsonl.readAll(out.resolve("ratings.jsonl"))).hasSize(12);
      assertThat(Jsonl.readAll(out.resolve("preferences.jsonl"))).hasSize((int) fixed.preferencePairs())
          .hasSizeGreaterThan(0);
      assertThat(out.resolve("failures.jsonl")).doesNotExist();
    }
  }

  @Test
  void linesThatEarlierVersionsWroteForFailedCallsAreDoneAgain() throws Exception {
    server.responder(FakeOpenAiServer::ratingOrAnswer);
    Path out = dir.resolve("legacy");
    List<PromptRecord> ps = prompts(2);
    // prompt 0: a completion whose call had failed; prompt 1: rated while every judge call failed (HTTP 401)
    List<CompletionRecord.Sample> failedSample = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      failedSample.add(i == 2 ? new CompletionRecord.Sample("a", null, null, null, null, "a: authentication failed")
          : new CompletionRecord.Sample("a", null, null, "text " + i, "stop", null));
    }
    Jsonl.writeAll(out.resolve("completions.jsonl"), List.of(new CompletionRecord(ps.get(0).promptId(),
        ps.get(0).prompt(), ps.get(0).source(), List.of("a", "a", "a", "a"), failedSample)));
    List<RatedCompletion> unrated = new ArrayList<>();
    List<RatingRecord.JudgeFailure> judgeFailed = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      unrated.add(new RatedCompletion("a", null, null, "text " + i, null, null, null, null));
      judgeFailed.add(new RatingRecord.JudgeFailure(i, "overall", "judge call failed: judge: authentication failed"
          + " (HTTP 401) [not retryable]", List.of("", "", "")));
    }
    Jsonl.writeAll(out.resolve("ratings.jsonl"), List.of(new RatingRecord(ps.get(1).promptId(), ps.get(1).prompt(),
        "overall", unrated, judgeFailed)));

    FeedbackCollector.Summary s = runOverall(ps, out);
    assertThat(s.alreadyRated()).isZero();
    assertThat(s.complete()).isTrue();
    assertThat(s.ratedPrompts()).isEqualTo(2);
    assertThat(s.completionCalls()).isEqualTo(8);
    assertThat(Jsonl.readAll(out.resolve("preferences.jsonl"), PreferenceRecord.class))
        .extracting(PreferenceRecord::promptId).containsExactlyInAnyOrder(ps.get(0).promptId(), ps.get(1).promptId());
  }

  private static final Pattern TEXT = Pattern.compile("<text (\\d)> (.*?)(?=\\n<text \\d>|\\n\\n### Output)",
      Pattern.DOTALL);

  private static final Set<String> SHOWN_FIRST = ConcurrentHashMap.newKeySet();

  static int ufRating(String text) {
    return 1 + Math.floorMod(text.hashCode(), 5);
  }

  /** A judge that rates each shown text by a function of the text, in the official answer format. */
  private static String ultraFeedbackJudge(String model, ChatRequest request) {
    if (!model.equals("judge")) {
      return FakeOpenAiServer.defaultReply(model, request);
    }
    String user = request.messages().get(1).content();
    boolean typed = user.contains("Type:");
    Matcher m = TEXT.matcher(user.substring(user.indexOf("## Annotation")));
    StringBuilder sb = new StringBuilder();
    while (m.find()) {
      int r = ufRating(m.group(2));
      if (m.group(1).equals("1")) {
        SHOWN_FIRST.add(m.group(2));
      }
      sb.append("#### Output for Text ").append(m.group(1)).append('\n');
      if (typed) {
        sb.append("Type: 1, 3\nRationale: relevant.\n");
      }
      sb.append("Rating: ").append(r).append("\nRationale: because ").append(r).append(".\n\n");
    }
    return sb.toString().strip();
  }

  @Test
  void ultraFeedbackAspectsAreShuffledAndMappedBack() {
    server.responder(FeedbackCollectorTest::ultraFeedbackJudge);
    Path out = dir.resolve("uf");
    FeedbackCollector.Summary s;
    try (ResponseStore store = ResponseStore.open(out.resolve("cache.jsonl"))) {
      List<FeedbackCollector.PoolMember> pool = List.of(
          new FeedbackCollector.PoolMember("a", endpoint("teacher-a", store), SamplingParams.defaults(), true),
          new FeedbackCollector.PoolMember("b", endpoint("teacher-b", store), SamplingParams.defaults(), true),
          new FeedbackCollector.PoolMember("c", endpoint("teacher-c", store), SamplingParams.defaults(), true),
          new FeedbackCollector.PoolMember("d", endpoint("teacher-d", store), SamplingParams.defaults(), true),
          new FeedbackCollector.PoolMember("e", endpoint("teacher-e", store), SamplingParams.defaults(), true));
      FeedbackCollector c = new FeedbackCollector(pool, endpoint("judge", store),
          UltraFeedbackRubric.load(TestData.path("ultrafeedback", "templates")), null,
          new Binarizer(Binarizer.ChosenBy.MEAN, Binarizer.RejectedBy.RANDOM, Binarizer.TiePolicy.KEEP, 42),
          FeedbackCollector.Settings.defaults(7));
      s = c.run(prompts(6), out, Progress.NONE);
    }
    assertThat(s.judgeCalls()).isEqualTo(24);
    assertThat(s.judgmentFailures()).isZero();
    List<RatingRecord> ratings = Jsonl.readAll(out.resolve("ratings.jsonl"), RatingRecord.class);
    for (RatingRecord r : ratings) {
      // 4 distinct models out of 5, sampled without replacement
      assertThat(r.completions().stream().map(RatedCompletion::model).distinct().count()).isEqualTo(4);
      for (RatedCompletion c : r.completions()) {
        // in UltraFeedback's aspect order, as written to ratings.jsonl
        assertThat(c.annotations().keySet()).containsExactly("instruction_following", "honesty", "truthfulness",
            "helpfulness");
        String expected = Integer.toString(ufRating(c.response()));
        c.annotations().values().forEach(a -> assertThat(a.rating()).isEqualTo(expected));
        assertThat(c.annotations().get("helpfulness").type()).containsExactly("1", "3");
        assertThat(c.fineGrainedScore()).isEqualTo(ufRating(c.response()));
      }
    }
    // shuffled: texts other than completion 0 were shown first
    Set<String> firstCompletions = new java.util.HashSet<>();
    ratings.forEach(r -> firstCompletions.add(r.completions().get(0).response()));
    assertThat(SHOWN_FIRST.stream().filter(t -> !firstCompletions.contains(t)).count()).isGreaterThan(3);
    assertThat(Jsonl.readAll(out.resolve("preferences.jsonl"), PreferenceRecord.class)).hasSizeLessThanOrEqualTo(6)
        .allSatisfy(p -> assertThat(p.scoreChosen()).isGreaterThanOrEqualTo(p.scoreRejected()));
  }

  @Test
  void combinedRubricGivesAspectRatingsAndAnOverallScore() {
    server.responder((model, request) -> request.messages().get(request.messages().size() - 1).content()
        .contains("<text 1>") ? ultraFeedbackJudge(model, request) : FakeOpenAiServer.ratingOrAnswer(model, request));
    Path out = dir.resolve("both");
    FeedbackCollector.Summary s;
    try (ResponseStore store = ResponseStore.open(out.resolve("cache.jsonl"))) {
      List<FeedbackCollector.PoolMember> pool = List.of(
          new FeedbackCollector.PoolMember("a", endpoint("teacher-a", store), SamplingParams.defaults(), true));
      FeedbackCollector c = new FeedbackCollector(pool, endpoint("judge", store),
          new CombinedRubric(UltraFeedbackRubric.load(TestData.path("ultrafeedback", "templates")),
              OverallRubric.defaults()), null, Binarizer.zephyr(42), FeedbackCollector.Settings.defaults(7));
      assertThat(c.judgeCallsPerPrompt()).isEqualTo(8);
      s = c.run(prompts(3), out, Progress.NONE);
    }
    assertThat(s.judgeCalls()).isEqualTo(24);
    assertThat(s.preferencePairs()).isEqualTo(3);
    for (RatingRecord r : Jsonl.readAll(out.resolve("ratings.jsonl"), RatingRecord.class)) {
      assertThat(r.rubric()).isEqualTo("ultrafeedback+overall");
      for (RatedCompletion c : r.completions()) {
        assertThat(c.annotations()).hasSize(4);
        assertThat(c.fineGrainedScore()).isEqualTo(ufRating(c.response()));
        String judgePrompt = OverallRubric.defaults().messages(r.prompt(), c.response()).get(1).content();
        assertThat(c.overallScore()).isEqualTo((double) FakeOpenAiServer.expectedRating(judgePrompt));
      }
    }
  }
}
