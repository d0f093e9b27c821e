package dev.zephyr.core.chat.limits;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.zephyr.core.chat.ChatRequest;
import dev.zephyr.core.chat.ChatResponse;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class RateLimitedChatModelTest {
  @Test
  void spacesRequestStartsEvenlyOnAFakeClock() {
    AtomicLong clock = new AtomicLong(5_000_000_000L);
    List<Long> waits = new CopyOnWriteArrayList<>();
    // the sleeper advances the fake clock, as real time would pass
    Sleeper sleeper = ms -> {
      waits.add(ms);
      clock.addAndGet(ms * 1_000_000);
    };
    ScriptedModel fake = ScriptedModel.failingFirst(0, 0);
    try (RateLimitedChatModel m = new RateLimitedChatModel(fake, 120, clock::get, sleeper)) {
      List<ChatResponse> out = m.complete(List.of(ChatRequest.user("a"), ChatRequest.user("b"),
          ChatRequest.user("c")));
      assertThat(out).extracting(ChatResponse::text).containsExactly("echo: a", "echo: b", "echo: c");
      // 120 per minute: one start every 500 ms; the first goes at once
      assertThat(waits).containsExactly(500L, 500L);
      // 2 s later the limiter has no debt: the next call starts at once, the one after waits its 500 ms
      clock.addAndGet(2_000_000_000L);
      waits.clear();
      m.complete(List.of(ChatRequest.user("d"), ChatRequest.user("e")));
      assertThat(waits).containsExactly(500L);
    }
    assertThat(fake.calls("e")).isEqualTo(1);
  }

  @Test
  void refusesARateThatIsNoRate() {
    assertThatThrownBy(() -> new RateLimitedChatModel(ScriptedModel.failingFirst(0, 0), 0))
        .hasMessageContaining("requests_per_minute must be > 0, got 0.0");
  }
}
