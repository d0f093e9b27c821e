package dev.zephyr.core.chat.limits;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.zephyr.core.chat.ChatRequest;
import dev.zephyr.core.chat.ChatResponse;
import dev.zephyr.core.chat.ProviderException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

class RetryingChatModelTest {
  /** 100 ms doubling, no jitter: the waits are exact. */
  private static final RetryPolicy POLICY =
      new RetryPolicy(3, Duration.ofMillis(100), 2.0, Duration.ofMillis(250), 0.0);

  private final List<Long> waits = new CopyOnWriteArrayList<>();

  @Test
  void retriesARetryableFailureUntilItSucceedsWithExponentialBackoff() {
    ScriptedModel fake = ScriptedModel.failingFirst(3, 0);
    RetryingChatModel m = new RetryingChatModel(fake, POLICY, waits::add);
    assertThat(m.complete(ChatRequest.user("q")).text()).isEqualTo("echo: q");
    assertThat(fake.calls("q")).isEqualTo(4);
    assertThat(waits).as("100, 200, then capped at 250").containsExactly(100L, 200L, 250L);
  }

  @Test
  void givesUpAfterMaxRetriesNamingTheAttempts() {
    ScriptedModel fake = ScriptedModel.failingFirst(10, 0);
    RetryingChatModel m = new RetryingChatModel(fake, POLICY.withMaxRetries(2), waits::add);
    assertThatThrownBy(() -> m.complete(ChatRequest.user("q")))
        .isInstanceOfSatisfying(ProviderException.class, e -> {
          assertThat(e.retryable()).isTrue();
          assertThat(e.status()).isEqualTo(503);
          assertThat(e.getMessage()).contains("gave up after 3 attempts").contains("overloaded");
        });
    assertThat(fake.calls("q")).isEqualTo(3);
    assertThat(new RetryingChatModel(ScriptedModel.failingFirst(1, 0), POLICY.withMaxRetries(0), waits::add))
        .satisfies(zero -> assertThatThrownBy(() -> zero.complete(ChatRequest.user("z")))
            .hasMessageNotContaining("gave up").hasMessageContaining("overloaded"));
  }

  @Test
  void aClientErrorIsNeverRetried() {
    ScriptedModel fake = new ScriptedModel((p, attempt) ->
        new ProviderException("fake", 400, false, "max_tokens is too large", null));
    RetryingChatModel m = new RetryingChatModel(fake, POLICY, waits::add);
    assertThatThrownBy(() -> m.complete(ChatRequest.user("q")))
        .isInstanceOfSatisfying(ProviderException.class, e -> assertThat(e.status()).isEqualTo(400));
    assertThat(fake.calls("q")).isEqualTo(1);
    assertThat(waits).isEmpty();
  }

  @Test
  void waitsAtLeastWhatTheServerAsks() {
    RetryingChatModel m = new RetryingChatModel(ScriptedModel.failingFirst(1, 1_500), POLICY, waits::add);
    assertThat(m.complete(ChatRequest.user("q")).text()).isEqualTo("echo: q");
    assertThat(waits).containsExactly(1_500L);
  }

  @Test
  void aBatchRetriesOnlyTheFailedRequestsAndHandsOnEveryOutcome() {
    // "a" fails twice, "b" never, "c" with a 400
    ScriptedModel fake = new ScriptedModel((p, attempt) -> switch (p) {
      case "a" -> attempt < 2 ? new ProviderException("fake", 429, true, "slow down", null) : null;
      case "c" -> new ProviderException("fake", 400, false, "bad", null);
      default -> null;
    });
    RetryingChatModel m = new RetryingChatModel(fake, POLICY, waits::add);
    Map<Integer, String> outcomes = new ConcurrentHashMap<>();
    m.completeEach(List.of(ChatRequest.user("a"), ChatRequest.user("b"), ChatRequest.user("c")),
        (i, response, failure) -> outcomes.put(i, failure == null ? response.text() : "failed " + failure.status()));
    assertThat(outcomes).containsExactlyInAnyOrderEntriesOf(Map.of(0, "echo: a", 1, "echo: b", 2, "failed 400"));
    assertThat(fake.calls("a")).isEqualTo(3);
    assertThat(fake.calls("b")).isEqualTo(1);
    assertThat(fake.calls("c")).isEqualTo(1);
    assertThat(waits).containsExactly(100L, 200L);
    List<ChatResponse> all = new RetryingChatModel(ScriptedModel.failingFirst(1, 0), POLICY, waits::add)
        .complete(List.of(ChatRequest.user("x"), ChatRequest.user("y")));
    assertThat(all).extracting(ChatResponse::text).containsExactly("echo: x", "echo: y");
  }

  @Test
  void thePolicyRefusesNonsense() {
    assertThatThrownBy(() -> RetryPolicy.retries(-1)).hasMessageContaining("max_retries must be >= 0, got -1");
    assertThat(RetryPolicy.DEFAULT.withJitter(0).backoffMillis(2, 0)).isEqualTo(1125); // 500 x 1.5^2
  }
}
