package dev.zephyr.core.model;

import static dev.zephyr.core.model.LlamaModelTest.ids;
import static dev.zephyr.core.model.LlamaModelTest.maxAbsDiff;
import static dev.zephyr.core.model.LlamaModelTest.tiny;
import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The preallocated cache: written in place, decode steps without a mask, growth, and agreement with full forwards. */
class KvCacheTest {
  // Two left-padded rows, ten positions: prefill the first four, then decode one token per step.
  static final long[][] ROWS = {{0, 0, 1, 7, 8, 9, 10, 11, 12, 13}, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}};
  static final long[][] MASK = {{0, 0, 1, 1, 1, 1, 1, 1, 1, 1}, {1, 1, 1, 1, 1, 1, 1, 1, 1, 1}};

  // LlamaModelTest's manager and one-thread setting, opened and closed around this class
  @BeforeAll
  static void open() {
    LlamaModelTest.open();
  }

  @AfterAll
  static void close() {
    LlamaModelTest.close();
  }

  static NDManager manager() {
    return LlamaModelTest.manager;
  }

  static NDArray column(long[][] rows, int t) {
    return ids(rows).get(new NDIndex(":, {}:{}", t, t + 1));
  }

  @Test
  void decodeStepsWithoutAMaskMatchTheFullForwardUnderPaddingAndASlidingWindow() {
    // window 3 < 10 positions: later steps read only the keys inside the window
    ModelConfig c = tiny(ModelType.MISTRAL).toBuilder().slidingWindow(3).build();
    try (LlamaModel model = LlamaModel.random(c, 11, 0.3, manager()); NDScope s = new NDScope();
        KvCache cache = model.newCache(manager(), 10)) {
      s.suppressNotUsedWarning();
      NDArray full = model.forward(ids(ROWS), ids(MASK), null, null);
      model.forward(ids(ROWS).get(":, 0:4"), ids(MASK).get(":, 0:4"), null, cache);
      for (int t = 4; t < 10; t++) {
        NDArray step = model.forward(column(ROWS, t), null, null, cache);
        assertThat(maxAbsDiff(step, full.get(new NDIndex(":, {}:{}, :", t, t + 1)))).as("position %d", t)
            .isLessThan(1e-5f);
      }
      assertThat(cache.length()).isEqualTo(10);
    }
  }

  @Test
  void decodeStepIsBitIdenticalToTheStepWithAnExplicitMask() {
    // no window: the decode step adds the same padding bias to the same scores, or nothing where adding 0 changed none
    try (LlamaModel model = LlamaModel.random(tiny(ModelType.QWEN2), 5, 0.3, manager()); NDScope s = new NDScope();
        KvCache fast = model.newCache(manager(), 10); KvCache masked = model.newCache(manager())) {
      s.suppressNotUsedWarning();
      model.forward(ids(ROWS).get(":, 0:4"), ids(MASK).get(":, 0:4"), null, fast);
      model.forward(ids(ROWS).get(":, 0:4"), ids(MASK).get(":, 0:4"), null, masked);
      for (int t = 4; t < 10; t++) {
        NDArray a = model.forward(column(ROWS, t), null, null, fast);
        NDArray b = model.forward(column(ROWS, t), column(MASK, t), null, masked);
        assertThat(maxAbsDiff(a, b)).as("position %d", t).isEqualTo(0f);
      }
    }
  }

  @Test
  void buffersAreAllocatedOnceAndWrittenInPlace() {
    ModelConfig c = tiny(ModelType.LLAMA);
    try (LlamaModel model = LlamaModel.random(c, 3, 0.3, manager()); NDScope s = new NDScope();
        KvCache cache = model.newCache(manager(), 10)) {
      s.suppressNotUsedWarning();
      assertThat(cache.capacity()).isZero();
      model.forward(ids(ROWS).get(":, 0:4"), ids(MASK).get(":, 0:4"), null, cache);
      int layers = c.numHiddenLayers();
      assertThat(cache.allocations()).isEqualTo(2 * layers);
      for (int t = 4; t < 10; t++) {
        model.forward(column(ROWS, t), null, null, cache);
        // one key and one value buffer per layer, ever: each step writes one position into them
        assertThat(cache.allocations()).as("after position %d", t).isEqualTo(2 * layers);
        assertThat(cache.capacity()).isEqualTo(10);
      }
    }
  }

  @Test
  void aCacheWithoutCapacityGrowsByDoublingAndStaysExact() {
    ModelConfig c = tiny(ModelType.LLAMA);
    long[][] rows = new long[1][70];
    for (int i = 0; i < 70; i++) {
      rows[0][i] = 1 + (i * 7) % 90;
    }
    try (LlamaModel model = LlamaModel.random(c, 9, 0.3, manager()); NDScope s = new NDScope();
        KvCache cache = model.newCache(manager())) {
      s.suppressNotUsedWarning();
      NDArray full = model.forward(ids(rows), null, null, null);
      model.forward(ids(rows).get(":, 0:60"), null, null, cache);
      assertThat(cache.capacity()).isEqualTo(64);
      for (int t = 60; t < 70; t++) {
        NDArray step = model.forward(column(rows, t), null, null, cache);
        assertThat(maxAbsDiff(step, full.get(new NDIndex(":, {}:{}, :", t, t + 1)))).isLessThan(1e-5f);
      }
      // grown once, at position 64, to twice the size: the old prefix copied over
      assertThat(cache.capacity()).isEqualTo(128);
      assertThat(cache.allocations()).isEqualTo(2 * 2 * c.numHiddenLayers());
    }
  }
}
