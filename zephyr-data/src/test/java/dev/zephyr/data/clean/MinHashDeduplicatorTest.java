package dev.zephyr.data.clean;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class MinHashDeduplicatorTest {

  private static String randomText(long seed, int words) {
    Random r = new Random(seed);
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < words; i++) {
      sb.append("w").append(r.nextInt(5000)).append(' ');
    }
    return sb.toString().strip();
  }

  @Test
  void findsNearDuplicatesAndKeepsDistinctTexts() {
    String a = randomText(1, 100);
    java.util.List<String> words = new java.util.ArrayList<>(List.of(a.split(" ")));
    words.add(50, "inserted");
    String aOneWordChanged = String.join(" ", words);
    String aPunctuated = a.toUpperCase().replace(" ", ",  ");
    String b = randomText(2, 100);
    String c = randomText(3, 100);
    MinHashDeduplicator d = MinHashDeduplicator.defaults(42);
    int[] dup = d.findDuplicates(List.of(a, b, aOneWordChanged, c, aPunctuated));
    assertThat(dup).containsExactly(-1, -1, 0, -1, 0);
    // Jaccard of the shingle sets, by hand: 96 shingles each; inserting one word mid-text breaks the 4
    // shingles spanning the gap and adds 5 new ones: 92 shared of 96 + 97 - 92 = 101
    Set<Long> sa = d.shingles(a);
    Set<Long> sa2 = d.shingles(aOneWordChanged);
    assertThat(sa).hasSize(96);
    assertThat(sa2).hasSize(97);
    assertThat(MinHashDeduplicator.jaccard(sa, sa2)).isEqualTo(92.0 / 101.0);
  }

  @Test
  void sameSeedSameAnswerAndThresholdMatters() {
    String a = randomText(5, 40);
    // replace every fourth word (10 of 40): every 5-word shingle changes, Jaccard 0
    String[] w = a.split(" ");
    for (int i = 0; i < 40; i += 4) {
      w[i] = "x" + i;
    }
    String far = String.join(" ", w);
    List<String> texts = List.of(a, far, a);
    assertThat(MinHashDeduplicator.defaults(7).findDuplicates(texts)).containsExactly(-1, -1, 0);
    // one inserted word gives Jaccard 92/101 (about 0.91, see above): a near duplicate at 0.8, kept at 0.95
    String b = randomText(1, 100);
    List<String> words = new java.util.ArrayList<>(List.of(b.split(" ")));
    words.add(50, "inserted");
    List<String> pair = List.of(b, String.join(" ", words));
    assertThat(MinHashDeduplicator.defaults(7).findDuplicates(pair)).containsExactly(-1, 0);
    assertThat(new MinHashDeduplicator(5, 32, 4, 0.95, 7).findDuplicates(pair)).containsExactly(-1, -1);
  }
}
