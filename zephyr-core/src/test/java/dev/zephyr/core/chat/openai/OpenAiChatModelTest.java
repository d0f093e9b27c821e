package dev.zephyr.core.chat.openai;

import dev.zephyr.core.chat.limits.RetryingChatModel;
import dev.zephyr.core.chat.limits.RetryPolicy;
import dev.zephyr.core.chat.ChatModel;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.zephyr.core.chat.ChatRequest;
import dev.zephyr.core.chat.ChatResponse;
import dev.zephyr.core.chat.FinishReason;
import dev.zephyr.core.chat.Message;
import dev.zephyr.core.chat.ProviderException;
import dev.zephyr.core.chat.ProviderStoppedException;
import dev.zephyr.core.chat.SamplingParams;
import dev.zephyr.core.chat.cache.CacheKey;
import dev.zephyr.core.testing.FakeOpenAiServer;
import dev.zephyr.core.testing.FakeOpenAiServer.Fault;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

@org.junit.jupiter.api.Timeout(60)
class OpenAiChatModelTest {
  private static final String SECRET = "sk-test-SECRET-4711";

  private FakeOpenAiServer server;

  @BeforeEach
  void start() {
    server = FakeOpenAiServer.start();
  }

  @AfterEach
  void stop() {
    server.close();
  }

  private OpenAiChatModel.Builder model() {
    return OpenAiChatModel.builder()
        .baseUrl(server.baseUrl())
        .modelName("m")
        .apiKeyEnv("FAKE_KEY")
        .environment(Map.of("FAKE_KEY", SECRET)::get)
        .timeout(Duration.ofMillis(800))
        .maxConcurrency(8);
  }

  /** The client as configs build it: each request sent once, the retries in the decorator around it. */
  private static ChatModel retrying(OpenAiChatModel m, int maxRetries) {
    return new RetryingChatModel(m, RetryPolicy.retries(maxRetries).withInitialBackoff(Duration.ofMillis(5)));
  }

  private static ChatRequest req(String text, long seed) {
    return ChatRequest.of(List.of(Message.system("be brief"), Message.user(text)),
        SamplingParams.builder().temperature(0.7).topP(0.9).maxTokens(64).seed(seed).stop(List.of("\n\n")).build());
  }

  @Test
  void sendsParametersAndKeyAndParsesChoicesAndLogprobs() {
    try (OpenAiChatModel m = model().build()) {
      ChatRequest r = ChatRequest.of(List.of(Message.user("hi")),
          SamplingParams.builder().n(2).seed(9L).logprobs(true).topLogprobs(3).maxTokens(5).build());
      ChatResponse resp = m.complete(r);
      assertThat(resp.choices()).hasSize(2);
      assertThat(resp.choices().get(0).text()).isEqualTo("Answer from m (seed 9): hi #0");
      assertThat(resp.choices().get(1).text()).endsWith("#1");
      assertThat(resp.first().finishReason()).isEqualTo(FinishReason.STOP);
      assertThat(resp.promptTokens()).isEqualTo(11);
      assertThat(resp.completionTokens()).isEqualTo(14);
      assertThat(resp.first().logprobs()).hasSize(1);
      assertThat(resp.first().logprobs().get(0).logprob()).isEqualTo(-0.25);
      assertThat(resp.first().logprobs().get(0).topLogprobs()).extracting(t -> t.token())
          .containsExactly("Ans", "alt1", "alt2");
      // the server rebuilt exactly our request from the wire: same cache key as the client computes
      assertThat(server.answeredKeys()).containsExactly(CacheKey.of("m", r));
      assertThat(server.seen().get(0).authorization()).isEqualTo("Bearer " + SECRET);
    }
  }

  @Test
  void requestsWithoutPenaltiesAreSentExactlyAsBefore() {
    try (OpenAiChatModel m = model().build()) {
      m.complete(req("hi", 3));
    }
    // golden from before the penalties existed
    assertThat(server.bodies()).containsExactly("{\"model\":\"m\",\"messages\":[{\"role\":\"system\",\"content\":"
        + "\"be brief\"},{\"role\":\"user\",\"content\":\"hi\"}],\"temperature\":0.7,\"top_p\":0.9,\"max_tokens\":64,"
        + "\"n\":1,\"seed\":3,\"stop\":[\"\\n\\n\"]}");
  }

  @Test
  void sendsPenaltiesOnlyWhenTheyAreNotNeutral() {
    ChatRequest all = ChatRequest.of(List.of(Message.user("hi")), SamplingParams.builder().temperature(0.7).topP(0.5)
        .maxTokens(8).presencePenalty(2).frequencyPenalty(-0.5).repetitionPenalty(1.1).build());
    ChatRequest presenceOnly = ChatRequest.of(List.of(Message.user("hi")), SamplingParams.builder().temperature(0)
        .maxTokens(8).presencePenalty(1.5).build());
    try (OpenAiChatModel m = model().maxConcurrency(1).build()) {
      m.complete(all);
      m.complete(presenceOnly);
    }
    assertThat(server.bodies()).containsExactly(
        "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"temperature\":0.7,\"top_p\":0.5,"
            + "\"max_tokens\":8,\"n\":1,\"presence_penalty\":2.0,\"frequency_penalty\":-0.5,\"repetition_penalty\":1.1}",
        "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"temperature\":0.0,\"top_p\":1.0,"
            + "\"max_tokens\":8,\"n\":1,\"presence_penalty\":1.5}");
    // the server's rebuilt requests carry the penalties: same cache keys as the client's
    assertThat(server.answeredKeys()).containsExactlyInAnyOrder(CacheKey.of("m", all), CacheKey.of("m", presenceOnly));
  }

  @Test
  void retriesEveryTransientFaultAndAnswersEverything() {
    Fault[] cycle = {Fault.RATE_LIMIT, Fault.SERVER_ERROR, Fault.SLOW, Fault.MALFORMED, Fault.TRUNCATED, Fault.NONE};
    server.retryAfter("0").slowMillis(1_500)
        .faults((key, attempt) -> attempt == 0 ? cycle[Math.floorMod(key.hashCode(), cycle.length)] : Fault.NONE);
    List<ChatRequest> requests = new ArrayList<>();
    for (int i = 0; i < 24; i++) {
      requests.add(req("question " + i, i));
    }
    try (ChatModel m = retrying(model().build(), 3)) {
      List<ChatResponse> out = m.complete(requests);
      for (int i = 0; i < 24; i++) {
        assertThat(out.get(i).text()).isEqualTo("Answer from m (seed " + i + "): question " + i);
      }
    }
    assertThat(server.answeredByKey()).hasSize(24).allSatisfy((k, v) -> assertThat(v).isEqualTo(1));
    // every fault kind actually happened
    assertThat(server.seen()).extracting(FakeOpenAiServer.Seen::fault).contains(cycle);
  }

  @Test
  void honoursRetryAfter() {
    server.retryAfter("1").faults((key, attempt) -> attempt == 0 ? Fault.RATE_LIMIT : Fault.NONE);
    try (ChatModel m = retrying(model().build(), 3)) {
      assertThat(m.complete(req("x", 1)).text()).endsWith("x");
    }
    List<FakeOpenAiServer.Seen> seen = server.seen();
    assertThat(seen).hasSize(2);
    long gapMs = (seen.get(1).nanoTime() - seen.get(0).nanoTime()) / 1_000_000;
    assertThat(gapMs).isGreaterThanOrEqualTo(1_000);
  }

  @Test
  void doesNotRetryARequestThatCannotSucceedAndNeverLeaksTheKey() {
    server.faults((key, attempt) -> Fault.BAD_REQUEST);
    try (ChatModel m = retrying(model().build(), 3)) {
      assertThatThrownBy(() -> m.complete(req("x", 1)))
          .isInstanceOfSatisfying(ProviderException.class, e -> {
            assertThat(e.retryable()).isFalse();
            assertThat(e.status()).isEqualTo(400);
            assertThat(e.getMessage()).contains("invalid request").contains("max_tokens is too large")
                .doesNotContain(SECRET);
          });
    }
    assertThat(server.requestCount()).isEqualTo(1);
  }

  @Test
  void givesUpAfterMaxRetriesWithARetryableError() {
    server.faults((key, attempt) -> Fault.SERVER_ERROR);
    try (ChatModel m = retrying(model().build(), 2)) {
      assertThatThrownBy(() -> m.complete(req("x", 1)))
          .isInstanceOfSatisfying(ProviderException.class, e -> {
            assertThat(e.retryable()).isTrue();
            assertThat(e.status()).isEqualTo(500);
            assertThat(e.getMessage()).contains("gave up after 3 attempts");
          });
    }
    assertThat(server.requestCount()).isEqualTo(3);
  }

  @Test
  void redactsTheKeyIfAServerEchoesIt() {
    server.faults((key, attempt) -> Fault.BAD_KEY);
    try (OpenAiChatModel m = model().build()) {
      assertThatThrownBy(() -> m.complete(req("x", 1)))
          .isInstanceOfSatisfying(ProviderException.class, e -> {
            assertThat(e.status()).isEqualTo(401);
            assertThat(e.retryable()).isFalse();
            assertThat(e.getMessage()).contains("authentication failed")
                .contains("Incorrect API key provided: ***").doesNotContain(SECRET);
          });
      assertThat(m.redact("Incorrect API key provided: " + SECRET)).isEqualTo("Incorrect API key provided: ***");
      assertThat(m.toString()).doesNotContain(SECRET);
    }
  }

  @Test
  void redactsAnyPieceOfTheKeyOfSixOrMoreCharactersFromAnswersAndErrors() {
    // a server that echoes 12 characters of the key in a successful answer
    server.responder((model, request) -> "your key starts with " + SECRET.substring(0, 12) + ", ends with "
        + SECRET.substring(SECRET.length() - 6) + " and has 'SECR' in it");
    try (OpenAiChatModel m = model().build()) {
      assertThat(m.complete(req("x", 1)).text())
          .isEqualTo("your key starts with ***, ends with *** and has 'SECR' in it");
    }
    KeyRedactor r = new KeyRedactor(SECRET);
    assertThat(r.apply("a " + SECRET + " b")).isEqualTo("a *** b");
    assertThat(r.apply("x SECRET y")).as("six characters").isEqualTo("x *** y");
    assertThat(r.apply("x ECRET y")).as("five are kept").isEqualTo("x ECRET y");
    assertThat(r.apply("x-SECRE y")).as("the run grows to the left too: '-SECRE' is in the key").isEqualTo("x*** y");
    assertThat(r.apply("test-S" + "test-SECRET")).as("two pieces side by side").isEqualTo("******");
    assertThat(r.apply("nothing here")).isEqualTo("nothing here");
  }

  @Test
  void concurrencyHasAnUpperBound() {
    assertThatThrownBy(() -> model().maxConcurrency(1_000_000).build())
        .hasMessageContaining("maxConcurrency must be in [1, 1024], got 1000000");
  }

  @Test
  void failsClearlyWhenTheKeyVariableIsMissing() {
    assertThatThrownBy(() -> model().environment(name -> null).build())
        .hasMessageContaining("FAKE_KEY").hasMessageContaining("not set");
  }

  @Test
  void stopsSendingAfterThreeCallsInARowFailWithTheSame401() {
    server.faults((key, attempt) -> Fault.BAD_KEY);
    List<ProviderException> failures = new CopyOnWriteArrayList<>();
    List<ChatRequest> twenty = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      twenty.add(req("q" + i, i));
    }
    // one request in flight at a time, so "in a row" is exact
    try (OpenAiChatModel m = model().maxConcurrency(1).build()) {
      m.completeEach(twenty, (i, response, failure) -> failures.add(failure));
    }
    assertThat(failures).hasSize(20);
    // the three that were sent say what went wrong; every later call was refused without a request
    assertThat(server.requestCount()).isEqualTo(3);
    assertThat(failures.stream().filter(f -> f instanceof ProviderStoppedException)).hasSize(17)
        .allSatisfy(f -> {
          assertThat(f.status()).isEqualTo(401);
          assertThat(f.retryable()).isFalse();
          assertThat(f.getMessage()).contains("m: 3 calls in a row failed with the same status, so no more are sent; the last: ")
              .contains("authentication failed at " + server.baseUrl() + "/chat/completions")
              .contains("(HTTP 401)").doesNotContain(SECRET);
        });
  }

  @Test
  void aSuccessOrAnotherStatusBreaksTheStreakAndZeroNeverStops() {
    // 401, 401, success, 401, 401, 400, 401, 401: never three identical endpoint failures in a row
    Fault[] plan = {Fault.BAD_KEY, Fault.BAD_KEY, Fault.NONE, Fault.BAD_KEY, Fault.BAD_KEY, Fault.BAD_REQUEST,
        Fault.BAD_KEY, Fault.BAD_KEY};
    java.util.concurrent.atomic.AtomicInteger n = new java.util.concurrent.atomic.AtomicInteger();
    server.faults((key, attempt) -> plan[n.getAndIncrement() % plan.length]);
    try (OpenAiChatModel m = model().maxConcurrency(1).build()) {
      for (int i = 0; i < plan.length; i++) {
        try {
          m.complete(req("q" + i, i));
        } catch (ProviderStoppedException e) {
          throw new AssertionError("stopped at call " + i, e);
        } catch (ProviderException expected) {
          // the planned failure
        }
      }
    }
    assertThat(server.requestCount()).isEqualTo(plan.length);
    server.resetCounts();
    server.faults((key, attempt) -> Fault.BAD_KEY);
    try (OpenAiChatModel m = model().stopAfterIdenticalFailures(0).build()) {
      for (int i = 0; i < 6; i++) {
        int k = i;
        assertThatThrownBy(() -> m.complete(req("z" + k, k))).isNotInstanceOf(ProviderStoppedException.class);
      }
    }
    assertThat(server.requestCount()).isEqualTo(6);
  }

  @Test
  void completeEachReportsFailuresPerRequestWithoutStoppingOthers() {
    server.faults((key, attempt) -> key.equals(CacheKey.of("m", req("bad", 2))) ? Fault.BAD_REQUEST : Fault.NONE);
    List<String> outcomes = new CopyOnWriteArrayList<>();
    try (OpenAiChatModel m = model().build()) {
      m.completeEach(List.of(req("good", 1), req("bad", 2), req("fine", 3)), (i, response, failure) ->
          outcomes.add(i + ":" + (failure == null ? response.text() : "failed " + failure.status())));
    }
    assertThat(outcomes).containsExactlyInAnyOrder(
        "0:Answer from m (seed 1): good", "1:failed 400", "2:Answer from m (seed 3): fine");
  }

  @Test
  void spreadsCallsRoundRobinOverEndpointsWithinTheConcurrencyLimit() {
    try (FakeOpenAiServer second = FakeOpenAiServer.start()) {
      server.latencyMillis(30);
      second.latencyMillis(30);
      List<ChatRequest> requests = new ArrayList<>();
      for (int i = 0; i < 40; i++) {
        requests.add(req("q" + i, i));
      }
      try (OpenAiChatModel m = model().baseUrl(second.baseUrl()).maxConcurrency(4).build()) {
        assertThat(m.complete(requests)).hasSize(40);
      }
      assertThat(server.requestCount() + second.requestCount()).isEqualTo(40);
      assertThat(server.requestCount()).isBetween(10, 30);
      assertThat(server.maxInFlight()).isLessThanOrEqualTo(4).isGreaterThan(1);
      assertThat(second.maxInFlight()).isLessThanOrEqualTo(4);
    }
  }
}
