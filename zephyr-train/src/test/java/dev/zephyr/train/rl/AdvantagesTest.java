package dev.zephyr.train.rl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.zephyr.core.ZephyrException;
import org.junit.jupiter.api.Test;

/** GAE, whitening, the KL estimators and RLOO's baseline against values worked out by hand. */
class AdvantagesTest {

  @Test
  void gaeRunsRightToLeftWithBootstrappedValues() {
    // gamma 0.9, lam 0.5: delta2 = 1 - 0.4 = 0.6; delta1 = 0.9 * 0.4 - 0.2 = 0.16, A1 = 0.16 + 0.45 * 0.6 = 0.43;
    // delta0 = 0.9 * 0.2 - 0.5 = -0.32, A0 = -0.32 + 0.45 * 0.43 = -0.1265
    double[][] adv = Advantages.gae(new double[][] {{0, 0, 1}}, new double[][] {{0.5, 0.2, 0.4}}, 0.9, 0.5);
    assertThat(adv[0][2]).isCloseTo(0.6, within(1e-12));
    assertThat(adv[0][1]).isCloseTo(0.43, within(1e-12));
    assertThat(adv[0][0]).isCloseTo(-0.1265, within(1e-12));
  }

  @Test
  void gaeWithGammaAndLambdaOneIsRewardToGoMinusValue() {
    double[][] adv = Advantages.gae(new double[][] {{1, 2, 3}}, new double[][] {{0.5, 0.25, 1}}, 1, 1);
    assertThat(adv[0]).containsExactly(6 - 0.5, 5 - 0.25, 3 - 1.0);
  }

  @Test
  void whiteningUsesTheMaskedMeanAndUnbiasedVariance() {
    // masked entries 1, 2, 3, 4: mean 2.5, squared deviations sum to 5, unbiased variance 5 / 3
    double[][] x = {{1, 2, 3}, {4, 100, 100}};
    boolean[][] mask = {{true, true, true}, {true, false, false}};
    double scale = 1 / Math.sqrt(5.0 / 3 + 1e-8);
    double[][] w = Advantages.whiten(x, mask, true);
    assertThat(w[0][0]).isCloseTo(-1.5 * scale, within(1e-12));
    assertThat(w[0][0]).isCloseTo(-1.161895, within(1e-6));
    assertThat(w[1][0]).isCloseTo(1.161895, within(1e-6));
    assertThat(w[1][1]).as("entries outside the mask are shifted and scaled too").isCloseTo(97.5 * scale,
        within(1e-9));
    double[][] kept = Advantages.whiten(x, mask, false);
    assertThat(kept[0][0]).as("shift_mean false adds the mean back").isCloseTo(-1.5 * scale + 2.5, within(1e-12));
    assertThat(Advantages.zeroOutside(w, mask)[1][1]).isZero();
  }

  @Test
  void whiteningNeedsTwoEntries() {
    assertThatThrownBy(() -> Advantages.whiten(new double[][] {{1, 2}}, new boolean[][] {{true, false}}, true))
        .isInstanceOf(ZephyrException.class).hasMessageContaining("1 response token");
  }

  @Test
  void klEstimators() {
    // log r = ref - logp = -0.5: k1 = 0.5, k3 = e^-0.5 - 1 + 0.5
    assertThat(KlEstimator.K1.of(-1.0, -1.5)).isCloseTo(0.5, within(1e-12));
    assertThat(KlEstimator.K3.of(-1.0, -1.5)).isCloseTo(0.10653066, within(1e-8));
    // log r = 1: k1 = -1 (a negative single-token estimate), k3 = e - 2
    assertThat(KlEstimator.K1.of(-2.0, -1.0)).isCloseTo(-1.0, within(1e-12));
    assertThat(KlEstimator.K3.of(-2.0, -1.0)).isCloseTo(0.71828183, within(1e-8));
    assertThat(KlEstimator.K3.of(-0.7, -0.7)).isZero();
    assertThat(KlEstimator.fromHfName("K3")).isEqualTo(KlEstimator.K3);
    assertThatThrownBy(() -> KlEstimator.fromHfName("k2")).hasMessageContaining("[k1, k3]");
  }

  @Test
  void leaveOneOutBaselineIsTheMeanOfTheOtherSamples() {
    // TRL's layout: sample i of prompt j at i * prompts + j; prompt 0 has 1 and 3, prompt 1 has 4 and 0
    assertThat(Advantages.leaveOneOut(new double[] {1, 4, 3, 0}, 2)).containsExactly(-2, 4, 2, -4);
    // k = 3, one prompt: 1 - (2 + 6) / 2, 2 - (1 + 6) / 2, 6 - (1 + 2) / 2
    assertThat(Advantages.leaveOneOut(new double[] {1, 2, 6}, 3)).containsExactly(-3, -1.5, 4.5);
    assertThatThrownBy(() -> Advantages.leaveOneOut(new double[] {1, 2}, 1)).hasMessageContaining("k >= 2");
  }

  @Test
  void normalizedAdvantagesHaveZeroMeanAndUnitDeviation() {
    // mean 2, unbiased std 1
    double[] n = Advantages.normalize(new double[] {1, 2, 3});
    assertThat(n[0]).isCloseTo(-1 / (1 + 1e-8), within(1e-12));
    assertThat(n[1]).isZero();
    assertThat(n[2]).isCloseTo(1 / (1 + 1e-8), within(1e-12));
  }
}
