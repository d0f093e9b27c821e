package dev.zephyr.train.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.zephyr.core.InvalidInputException;
import java.util.Arrays;
import java.util.BitSet;
import org.junit.jupiter.api.Test;

class HoldOutTest {

  // goldens: numpy 2.4.6, np.random.default_rng(seed).permutation(n)
  @Test
  void permutationsAreNumpys() {
    assertThat(HfShuffle.permutation(0, 10)).containsExactly(4, 6, 2, 7, 3, 5, 9, 0, 8, 1);
    assertThat(HfShuffle.permutation(42, 10)).containsExactly(5, 6, 0, 7, 3, 2, 4, 9, 1, 8);
    assertThat(HfShuffle.permutation(1234, 7)).containsExactly(4, 6, 0, 5, 1, 3, 2);
    assertThat(HfShuffle.permutation((1L << 40) + 5, 12)).containsExactly(9, 5, 1, 2, 8, 3, 0, 10, 7, 4, 6, 11);
    assertThat(Arrays.copyOf(HfShuffle.permutation(0, 1000), 12))
        .containsExactly(459, 206, 222, 162, 711, 814, 350, 890, 518, 264, 683, 674);
    assertThat(HfShuffle.permutation(42, 1)).containsExactly(0);
  }

  @Test
  void holdsOutTheFirstRowsOfThePermutationLikeTrainTestSplit() {
    // datasets: test_size=0.25 of 10 rows -> ceil(2.5) = 3 rows, permutation[:3] of default_rng(42)
    BitSet test = new HoldOut(0.25, 42).heldOut(10);
    assertThat(test.stream().toArray()).containsExactly(0, 5, 6);
    assertThat(new HoldOut(4, 0).heldOut(10).stream().toArray()).containsExactly(2, 4, 6, 7);
  }

  @Test
  void sameSeedSameRowsAndTheSplitIsAPartition() {
    BitSet a = new HoldOut(0.1, 7).heldOut(500);
    assertThat(new HoldOut(0.1, 7).heldOut(500)).isEqualTo(a);
    assertThat(a.cardinality()).isEqualTo(50);
    assertThat(new HoldOut(0.1, 8).heldOut(500)).isNotEqualTo(a);
    assertThat(a.stream().allMatch(i -> i >= 0 && i < 500)).isTrue();
  }

  @Test
  void refusesSplitsThatLeaveASideEmpty() {
    assertThatThrownBy(() -> new HoldOut(10, 0).heldOut(10)).isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("test_split_size").hasMessageContaining("0 for training");
    assertThatThrownBy(() -> new HoldOut(1.5, 0)).hasMessageContaining("test_split_size");
    assertThatThrownBy(() -> new HoldOut(0, 0)).hasMessageContaining("test_split_size");
    assertThat(new HoldOut(1000, 0).asKey()).isEqualTo(1000L);
    assertThat(new HoldOut(0.1, 0).asKey()).isEqualTo(0.1);
  }
}
