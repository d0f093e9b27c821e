package dev.zephyr.core.chat.cache;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LineIndexTest {
  @Test
  void sharedFingerprintsKeepEveryLineAndReplaceTouchesOnlyItsOwn() {
    LineIndex index = new LineIndex();
    index.add(42, 0, 10);
    index.add(42, 11, 20);
    index.add(43, 32, 5);
    assertThat(index.find(42)).containsExactly(0, 10, 11, 20);
    index.replace(42, 11, 100, 7);
    assertThat(index.find(42)).containsExactly(0, 10, 100, 7);
    assertThat(index.find(43)).containsExactly(32, 5);
    assertThat(index.find(44)).isEmpty();
    assertThat(index.size()).isEqualTo(3);
  }

  @Test
  void growsAndFindsEveryEntry() {
    LineIndex index = new LineIndex();
    long before = index.memoryBytes();
    int n = 50_000;
    for (int i = 0; i < n; i++) {
      index.add(LineIndex.fingerprint("k" + i), i * 100L, i);
    }
    assertThat(index.size()).isEqualTo(n);
    for (int i = 0; i < n; i++) {
      assertThat(index.find(LineIndex.fingerprint("k" + i))).containsExactly(i * 100L, i);
    }
    // 20 bytes a slot, at most 2/3 full, capacity a power of two: under 64 bytes per entry here
    assertThat(index.memoryBytes()).isGreaterThan(before).isLessThan(64L * n);
  }

  @Test
  void fingerprintsAreNeverZeroAndDependOnEveryCharacter() {
    assertThat(LineIndex.fingerprint("")).isNotZero();
    assertThat(LineIndex.fingerprint("ab")).isNotEqualTo(LineIndex.fingerprint("ba"))
        .isEqualTo(LineIndex.fingerprint("ab"));
  }
}
