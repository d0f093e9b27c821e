package dev.zephyr.eval.harness;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;

/** lm-eval's metrics on log-likelihoods whose answers are worked out by hand in the comments. */
class HarnessMetricsTest {

  @Test
  void accNormDividesByTheChoiceLengthInCharacters() {
    // acc: -2 > -3 picks choice 0; acc_norm: -2/2 = -1 < -3/4 = -0.75 picks choice 1
    double[] lls = {-2.0, -3.0};
    assertThat(HarnessMetrics.argmax(lls)).isZero();
    assertThat(HarnessMetrics.argmaxNormalised(lls, List.of("ab", "abcd"))).isEqualTo(1);
    // characters are code points: the emoji is one character, as Python's len counts it
    assertThat(HarnessMetrics.argmaxNormalised(new double[] {-2.0, -2.5}, List.of("\uD83D\uDE00x", "abc")))
        .isEqualTo(1);
  }

  @Test
  void argmaxIsNumpys() {
    assertThat(HarnessMetrics.argmax(new double[] {1, 3, 3})).isEqualTo(1);
    assertThat(HarnessMetrics.argmax(new double[] {1, Double.NaN, 5})).isEqualTo(1);
  }

  @Test
  void mc2IsTheTrueShareOfTheProbabilityMass() {
    // p = 0.2, 0.1 (true) and 0.3, 0.4 (false): (0.2 + 0.1) / 1.0
    double[] lls = {Math.log(0.2), Math.log(0.1), Math.log(0.3), Math.log(0.4)};
    assertThat(HarnessMetrics.mc2(lls, 2)).isCloseTo(0.3, within(1e-12));
    // masses that do not sum to one are renormalised: 0.1 / (0.1 + 0.1 + 0.2)
    assertThat(HarnessMetrics.mc2(new double[] {Math.log(0.1), Math.log(0.1), Math.log(0.2)}, 1))
        .isCloseTo(0.25, within(1e-12));
    // log-likelihoods far below exp's range still give the ratio: e^-1000 / (e^-1000 + e^-1001)
    assertThat(HarnessMetrics.mc2(new double[] {-1000, -1001}, 1))
        .isCloseTo(1 / (1 + Math.exp(-1)), within(1e-12));
  }

  @Test
  void stderrIsTheSampleStandardDeviationOverRootN() {
    // mean 0.75; squared deviations 3 * 0.0625 + 0.5625 = 0.75; / (n - 1) = 0.25; sd 0.5; / sqrt(4) = 0.25
    double[] acc = {1, 0, 1, 1};
    assertThat(HarnessMetrics.mean(acc)).isEqualTo(0.75);
    assertThat(HarnessMetrics.meanStderr(acc)).isCloseTo(0.25, within(1e-15));
    assertThat(HarnessMetrics.meanStderr(new double[] {1})).isNaN();
  }

  @Test
  void groupsWeightBySizeAndPoolTheirStandardErrors() {
    // (0.75 * 4 + 0.5 * 2) / 6 weighted; (0.75 + 0.5) / 2 unweighted
    assertThat(HarnessMetrics.aggregate(new double[] {0.75, 0.5}, new int[] {4, 2}, true))
        .isCloseTo(4.0 / 6, within(1e-15));
    assertThat(HarnessMetrics.aggregate(new double[] {0.75, 0.5}, new int[] {4, 2}, false)).isEqualTo(0.625);
    // (3 * 0.25^2 * 4 + 1 * 0.5^2 * 2) / (6 - 2) = 0.3125, then sqrt(0.3125 / 6)
    assertThat(HarnessMetrics.pooledStderr(new double[] {0.25, 0.5}, new int[] {4, 2}))
        .isCloseTo(Math.sqrt(0.3125 / 6), within(1e-15));
  }
}
