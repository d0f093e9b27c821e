package dev.zephyr.train.reward;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDManager;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Rewards chosen (1.5, -0.2, 0.3), rejected (0.5, 0.4, 0.3), margins (0.5, 0, 0.1); values worked out by hand. */
class BradleyTerryLossTest {

  @Test
  void lossWithMarginAndCentringAndAccuracy() {
    try (NDManager m = NDManager.newBaseManager()) {
      var chosen = m.create(new float[] {1.5f, -0.2f, 0.3f});
      var rejected = m.create(new float[] {0.5f, 0.4f, 0.3f});
      var margin = m.create(new float[] {0.5f, 0.0f, 0.1f});
      // mean(-log sig(0.5), -log sig(-0.6), -log sig(-0.1)) = 0.6812989395213512 without margin
      assertThat((double) new BradleyTerryLoss(0).compute(chosen, rejected, null).loss().getFloat())
          .isCloseTo(0.6812989395213512, within(1e-6));
      // with margins: mean(-log sig(0.5), -log sig(-0.6), -log sig(-0.1))... shifted: z = (0.5, -0.6, -0.1)
      assertThat((double) new BradleyTerryLoss(0).compute(chosen, rejected, margin).loss().getFloat())
          .isCloseTo(0.751987198246521, within(1e-6));
      // + 0.01 * mean((2)^2, (0.2)^2, (0.6)^2) = 0.01 * 1.4666667
      BradleyTerryLoss.Output out = new BradleyTerryLoss(0.01).compute(chosen, rejected, margin);
      assertThat((double) out.loss().getFloat()).isCloseTo(0.7666538649131878, within(1e-6));
      Map<String, Double> mt = out.metrics();
      assertThat(mt.get("accuracy")).isCloseTo(1.0 / 3, within(1e-9)); // a tie is not a win
      assertThat(mt.get("margin")).isCloseTo((1.0 - 0.6 + 0.0) / 3, within(1e-6));
      assertThat(mt.get("min_reward")).isCloseTo(-0.2, within(1e-6));
      assertThat(mt.get("max_reward")).isCloseTo(1.5, within(1e-6));
    }
  }
}
