package dev.zephyr.train.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** Goldens printed by NumPy 2.4.6: {@code numpy.random.default_rng(seed).permutation(n)}. */
class HfShuffleTest {

  @Test
  void matchesNumpyPermutations() {
    assertThat(HfShuffle.permutation(0, 10)).containsExactly(4, 6, 2, 7, 3, 5, 9, 0, 8, 1);
    assertThat(HfShuffle.permutation(42, 10)).containsExactly(5, 6, 0, 7, 3, 2, 4, 9, 1, 8);
    assertThat(HfShuffle.permutation(0, 1)).containsExactly(0);
    assertThat(HfShuffle.permutation(0, 0)).isEmpty();
    assertThat(Arrays.copyOf(HfShuffle.permutation(7, 300), 12))
        .containsExactly(144, 152, 265, 193, 74, 194, 98, 20, 41, 101, 166, 223);
    // a seed over 32 bits is two entropy words
    assertThat(HfShuffle.permutation(123456789012L, 5)).containsExactly(0, 4, 3, 2, 1);
    assertThat(HfShuffle.permutation((1L << 40) + 3, 20))
        .containsExactly(11, 16, 9, 7, 17, 2, 5, 19, 10, 6, 15, 4, 14, 13, 3, 18, 0, 8, 1, 12);
  }

  @Test
  void matchesNumpyOnALargePermutation() {
    int[] p = HfShuffle.permutation(0, 100_000);
    assertThat(Arrays.copyOf(p, 5)).containsExactly(18836, 43996, 91795, 93254, 38314);
    assertThat(Arrays.copyOfRange(p, p.length - 3, p.length)).containsExactly(81321, 48632, 33375);
  }

  @Test
  void firstDrawIsNumpysFirstDouble() {
    // default_rng(0).random() == 0.6369616873214543: SeedSequence and PCG64 alone, before any shuffle
    long bits = HfShuffle.Pcg64.seeded(0).nextLong();
    assertThat((bits >>> 11) * 0x1.0p-53).isEqualTo(0.6369616873214543);
  }

  @Test
  void refusesNegativeSeeds() {
    assertThatThrownBy(() -> HfShuffle.permutation(-1, 3)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("-1");
  }
}
