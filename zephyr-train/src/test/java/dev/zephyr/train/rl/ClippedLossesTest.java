package dev.zephyr.train.rl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import org.junit.jupiter.api.Test;

/** PPO's and RLOO's clipped losses against values and gradients worked out by hand. */
class ClippedLossesTest {

  @Test
  void tokenPolicyLossClipsTheRatioAndIgnoresMaskedTokens() {
    try (NDManager m = NDManager.newBaseManager()) {
      // token 0: ratio e^0.2 = 1.2214 > 1.1, A = 1: max(-1.2214, -1.1) = -1.1 (clipped term wins)
      // token 1: ratio 1, A = -2: 2; token 2 is masked out (its huge values must not count)
      NDArray newLp = m.create(new float[] {-1.0f, -0.5f, 5f}, new ai.djl.ndarray.types.Shape(1, 3));
      NDArray oldLp = m.create(new float[] {-1.2f, -0.5f, 0f}, new ai.djl.ndarray.types.Shape(1, 3));
      NDArray adv = m.create(new float[] {1f, -2f, 10f}, new ai.djl.ndarray.types.Shape(1, 3));
      NDArray mask = m.create(new float[] {1f, 1f, 0f}, new ai.djl.ndarray.types.Shape(1, 3));
      newLp.setRequiresGradient(true);
      try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
        ClippedLosses.PolicyLoss l = ClippedLosses.tokenPolicy(newLp, oldLp, adv, mask, 0.1);
        assertThat(l.loss().getFloat()).isCloseTo(0.45f, within(1e-6f));
        assertThat(l.clipFraction()).isCloseTo(0.5, within(1e-7));
        assertThat(l.approxKl()).isCloseTo(0.5 * 0.04 / 2, within(1e-7));
        assertThat(l.ratio()).isCloseTo((Math.exp(0.2) + 1) / 2, within(1e-6));
        gc.backward(l.loss());
      }
      // clipped token: no gradient; token 1: d/dlp (-A e^(lp - old)) / 2 = 2 / 2 = 1; masked token: none
      assertThat(newLp.getGradient().toFloatArray()).containsExactly(new float[] {0f, 1f, 0f}, within(1e-6f));
    }
  }

  @Test
  void aRatioBeyondFloatRangeGivesAFiniteGradient() {
    try (NDManager m = NDManager.newBaseManager()) {
      // log-ratio 100: e^100 overflows a float; the clipped branch wins for A = 1 and the gradient must be 0, not NaN
      NDArray newLp = m.create(new float[] {100f, -1f}, new ai.djl.ndarray.types.Shape(1, 2));
      NDArray oldLp = m.create(new float[] {0f, -1f}, new ai.djl.ndarray.types.Shape(1, 2));
      NDArray adv = m.create(new float[] {1f, 1f}, new ai.djl.ndarray.types.Shape(1, 2));
      NDArray mask = m.create(new float[] {1f, 1f}, new ai.djl.ndarray.types.Shape(1, 2));
      newLp.setRequiresGradient(true);
      try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
        ClippedLosses.PolicyLoss l = ClippedLosses.tokenPolicy(newLp, oldLp, adv, mask, 0.2);
        assertThat(l.loss().getFloat()).isCloseTo((-1.2f - 1f) / 2, within(1e-6f));
        gc.backward(l.loss());
      }
      assertThat(newLp.getGradient().toFloatArray()).containsExactly(new float[] {0f, -0.5f}, within(1e-6f));
    }
  }

  @Test
  void sequencePolicyLossUsesTheRatioOfWholeResponses() {
    try (NDManager m = NDManager.newBaseManager()) {
      ai.djl.ndarray.types.Shape s = new ai.djl.ndarray.types.Shape(2, 2);
      NDArray newLp = m.create(new float[] {-1f, -1f, -2f, -3f}, s);
      NDArray oldLp = m.create(new float[] {-1.1f, -1f, -2f, -2.5f}, s);
      NDArray mask = m.create(new float[] {1f, 1f, 1f, 0f}, s);
      NDArray adv = m.create(new float[] {2f, -1f});
      // row 0: ratio e^0.1 inside [0.8, 1.2], loss -2 e^0.1; row 1: its second token is masked, ratio 1, loss 1
      ClippedLosses.PolicyLoss l = ClippedLosses.sequencePolicy(newLp, oldLp, adv, mask, 0.2);
      assertThat(l.loss().getFloat()).isCloseTo((float) ((-2 * Math.exp(0.1) + 1) / 2), within(1e-6f));
      assertThat(l.clipFraction()).isZero();
      assertThat(l.approxKl()).isCloseTo(0.5 * (0.01 + 0) / 2, within(1e-7));
      assertThat(l.ratio()).isCloseTo((Math.exp(0.1) + 2) / 3, within(1e-6));
      // a ratio far outside the range is clipped for a positive advantage
      NDArray far = m.create(new float[] {0f, 0f, -2f, -3f}, s);
      assertThat(ClippedLosses.sequencePolicy(far, oldLp, adv, mask, 0.2).clipFraction()).isCloseTo(0.5, within(1e-7));
    }
  }

  @Test
  void valueLossTakesTheLargerOfTheClippedAndUnclippedErrors() {
    try (NDManager m = NDManager.newBaseManager()) {
      // position 0: prediction 0.5 clipped to 0.2 around 0.0: errors 0.25 and 0.64, the clipped one counts
      // position 1: 1.0 is inside [0.7, 1.1]: error 1; position 2 masked out
      NDArray pred = m.create(new float[] {0.5f, 1.0f, 9f});
      NDArray old = m.create(new float[] {0.0f, 0.9f, 0f});
      NDArray ret = m.create(new float[] {1.0f, 2.0f, -9f});
      NDArray mask = m.create(new float[] {1f, 1f, 0f});
      ClippedLosses.ValueLoss l = ClippedLosses.value(pred, old, ret, mask, 0.2);
      assertThat(l.loss().getFloat()).isCloseTo(0.5f * (0.64f + 1f) / 2, within(1e-6f));
      assertThat(l.clipFraction()).isCloseTo(0.5, within(1e-7));
    }
  }
}
