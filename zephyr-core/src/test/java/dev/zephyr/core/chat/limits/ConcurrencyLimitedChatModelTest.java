package dev.zephyr.core.chat.limits;

import static org.assertj.core.api.Assertions.assertThat;

import dev.zephyr.core.chat.ChatModel;
import dev.zephyr.core.chat.ChatRequest;
import dev.zephyr.core.chat.ChatResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class ConcurrencyLimitedChatModelTest {
  /** Blocks every call on a latch and records how many calls were in flight at most. */
  private static final class GatedModel implements ChatModel {
    final CountDownLatch gate = new CountDownLatch(1);
    final AtomicInteger inFlight = new AtomicInteger();
    final AtomicInteger maxInFlight = new AtomicInteger();
    final AtomicInteger started = new AtomicInteger();

    @Override
    public String name() {
      return "gated";
    }

    @Override
    public List<ChatResponse> complete(List<ChatRequest> requests) {
      maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
      started.incrementAndGet();
      try {
        gate.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } finally {
        inFlight.decrementAndGet();
      }
      return requests.stream().map(r -> ScriptedModel.answer("ok")).toList();
    }
  }

  @Test
  void neverMoreThanTheLimitInFlightAcrossCallers() throws Exception {
    GatedModel gated = new GatedModel();
    try (ConcurrencyLimitedChatModel m = new ConcurrencyLimitedChatModel(gated, 3)) {
      List<ChatRequest> batch = new ArrayList<>();
      for (int i = 0; i < 10; i++) {
        batch.add(ChatRequest.user("q" + i));
      }
      // two callers at once, 20 requests, all held at the gate: only 3 may get there
      Thread a = new Thread(() -> m.complete(batch));
      Thread b = new Thread(() -> m.complete(batch));
      a.start();
      b.start();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (gated.started.get() < 3 && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
      Thread.sleep(200); // time for a fourth call to slip through, were the limit broken
      assertThat(gated.inFlight.get()).isEqualTo(3);
      gated.gate.countDown();
      a.join();
      b.join();
      assertThat(gated.started.get()).isEqualTo(20);
      assertThat(gated.maxInFlight.get()).isEqualTo(3);
    }
  }
}
