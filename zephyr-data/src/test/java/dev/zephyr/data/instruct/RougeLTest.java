package dev.zephyr.data.instruct;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;

class RougeLTest {

  @Test
  void tokenizesLikeRougeScoreDefault() {
    assertThat(RougeL.tokenize("Hello, World! It's 2024.")).containsExactly("hello", "world", "it", "s", "2024");
    // non-ASCII letters are not in [a-z0-9] and split words, as in rouge_score
    assertThat(RougeL.tokenize("Café au-lait")).containsExactly("caf", "au", "lait");
    assertThat(RougeL.tokenize("  ...  ")).isEmpty();
  }

  @Test
  void handComputedScores() {
    // target 6 tokens, prediction 5 tokens, LCS 5: P = 1, R = 5/6, F = 2PR/(P+R) = 10/11
    assertThat(RougeL.fmeasure("The cat sat on the mat", "the cat on the mat")).isCloseTo(10.0 / 11, within(1e-12));
    // reversed order: LCS 1 of 4 each way, F = 0.25
    assertThat(RougeL.fmeasure("a b c d", "d c b a")).isCloseTo(0.25, within(1e-12));
    // "give three tips for staying healthy" vs "give three tips for studying": LCS 4 (give three tips for),
    // P = 4/5, R = 4/6, F = 2*(0.8*0.6667)/(1.4667) = 8/11
    assertThat(RougeL.fmeasure("Give three tips for staying healthy.", "Give three tips for studying."))
        .isCloseTo(8.0 / 11, within(1e-12));
    assertThat(RougeL.fmeasure("same words here", "Same, words; HERE!")).isEqualTo(1.0);
    assertThat(RougeL.fmeasure("", "anything")).isZero();
  }

  @Test
  void lcsIsASubsequenceNotASubstring() {
    assertThat(RougeL.lcsLength(List.of("a", "x", "b", "y", "c"), List.of("a", "b", "c"))).isEqualTo(3);
  }
}
