package dev.zephyr.train.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.zephyr.core.InvalidInputException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class OrderedPoolTest {

  /** Work whose duration varies, so later items often finish before earlier ones. */
  private static Integer slowSquare(int i) {
    try {
      Thread.sleep((i * 7919L) % 5);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return i * i;
  }

  @Test
  void resultsComeInInputOrderWithABoundedWindow() {
    List<Integer> out = new ArrayList<>();
    int maxInFlight = 0;
    try (OrderedPool<Integer, Integer> pool = new OrderedPool<>(4, 8, OrderedPoolTest::slowSquare, out::add)) {
      for (int i = 0; i < 300; i++) {
        pool.accept(i);
        maxInFlight = Math.max(maxInFlight, pool.inFlight());
      }
      pool.finish();
    }
    assertThat(out).containsExactlyElementsOf(IntStream.range(0, 300).map(i -> i * i).boxed().toList());
    assertThat(maxInFlight).isEqualTo(8);
  }

  @Test
  void workRunsOnSeveralThreadsAtOnce() {
    AtomicInteger running = new AtomicInteger();
    AtomicInteger peak = new AtomicInteger();
    try (OrderedPool<Integer, Integer> pool = new OrderedPool<>(3, 12, i -> {
      peak.accumulateAndGet(running.incrementAndGet(), Math::max);
      slowSquare(3);
      running.decrementAndGet();
      return i;
    }, i -> { })) {
      for (int i = 0; i < 60; i++) {
        pool.accept(i);
      }
      pool.finish();
    }
    assertThat(peak.get()).isBetween(2, 3);
  }

  @Test
  void theFirstFailureInInputOrderIsRethrownAsIs() {
    List<Integer> out = new ArrayList<>();
    try (OrderedPool<Integer, Integer> pool = new OrderedPool<>(4, 16, i -> {
      if (i == 5 || i == 9) {
        throw new InvalidInputException("data.jsonl", i + 1, "text", "bad row " + i);
      }
      return i;
    }, out::add)) {
      assertThatThrownBy(() -> {
        for (int i = 0; i < 20; i++) {
          pool.accept(i);
        }
        pool.finish();
      }).isInstanceOf(InvalidInputException.class).hasMessageContaining("data.jsonl").hasMessageContaining("6")
          .hasMessageContaining("bad row 5");
    }
    assertThat(out).containsExactly(0, 1, 2, 3, 4);
  }

  @Test
  void refusesAWindowSmallerThanThePool() {
    assertThatThrownBy(() -> new OrderedPool<Integer, Integer>(4, 2, i -> i, i -> { }))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("window");
  }
}
