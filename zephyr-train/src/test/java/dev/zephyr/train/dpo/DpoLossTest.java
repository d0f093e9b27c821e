package dev.zephyr.train.dpo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Each loss against values worked out by hand (in double precision, from TRL's formulas) for two pairs:
 * policy chosen (-10, -20), rejected (-14, -18); reference chosen (-11, -19), rejected (-12, -17.5);
 * n+ = (4, 5), n- = (2, 8); beta 0.1. So c = (1, -1), r = (-2, -0.5), d = (3, -0.5).
 */
class DpoLossTest {
  NDManager m;
  DpoLoss.Batch batch;

  @BeforeEach
  void setUp() {
    m = NDManager.newBaseManager();
    batch = new DpoLoss.Batch(m.create(new float[] {-10, -20}), m.create(new float[] {-14, -18}),
        m.create(new float[] {-11, -19}), m.create(new float[] {-12, -17.5f}), m.create(new float[] {4, 5}),
        m.create(new float[] {2, 8}));
  }

  @AfterEach
  void tearDown() {
    m.close();
  }

  private double loss(DpoLossType type, double labelSmoothing) {
    return new DpoLoss(0.1, labelSmoothing, List.of(type), null).compute(batch).loss().getFloat();
  }

  @Test
  void eachLossMatchesItsHandComputedValue() {
    // sigmoid: mean(-log sig(0.3), -log sig(-0.05)) = mean(0.5543552, 0.7184596)
    assertThat(loss(DpoLossType.SIGMOID, 0)).isCloseTo(0.6364074462409067, within(1e-6));
    // hinge: mean(max(0, 1 - 0.3), max(0, 1 + 0.05)) = mean(0.7, 1.05)
    assertThat(loss(DpoLossType.HINGE, 0)).isCloseTo(0.875, within(1e-6));
    // ipo: mean(((1/4 + 2/2) - 5)^2, ((-1/5 + 0.5/8) - 5)^2) = mean(14.0625, 26.39390625)
    assertThat(loss(DpoLossType.IPO, 0)).isCloseTo(20.228203125, within(1e-4));
    // robust, eps 0.1: mean([-(0.9) log sig(beta d) + 0.1 log sig(-beta d)] / 0.8)
    assertThat(loss(DpoLossType.ROBUST, 0.1)).isCloseTo(0.6207824462409066, within(1e-6));
    // sft: -(-10 - 20) / (4 + 5)
    assertThat(loss(DpoLossType.SFT, 0)).isCloseTo(30.0 / 9.0, within(1e-6));
    // apo_zero: mean((1 - sig(0.1)) + sig(-0.2), (1 - sig(-0.1)) + sig(-0.05))
    assertThat(loss(DpoLossType.APO_ZERO, 0)).isCloseTo(0.968834303101656, within(1e-6));
    assertThat(loss(DpoLossType.APO_DOWN, 0)).isCloseTo(0.9690274398362757, within(1e-6));
    // sigmoid_norm: mean(-log sig(0.1 * (0.25 + 1)), -log sig(0.1 * (-0.2 + 0.0625)))
    assertThat(loss(DpoLossType.SIGMOID_NORM, 0)).isCloseTo(0.6663224242517234, within(1e-6));
    assertThat(loss(DpoLossType.NCA_PAIR, 0)).isCloseTo(1.3582446194590756, within(1e-6));
    assertThat(loss(DpoLossType.BCO_PAIR, 0)).isCloseTo(1.3276959187710098, within(1e-6));
    // sppo_hard: mean((1 - 5)^2 + (-2 + 5)^2, (-1 - 5)^2 + (-0.5 + 5)^2) = mean(25, 56.25)
    assertThat(loss(DpoLossType.SPPO_HARD, 0)).isCloseTo(40.625, within(1e-4));
  }

  @Test
  void weightedCombinationIsTheWeightedSumOfBatchMeans() {
    DpoLoss rpo = new DpoLoss(0.1, 0, List.of(DpoLossType.SIGMOID, DpoLossType.SFT), List.of(1.0, 0.5));
    assertThat((double) rpo.compute(batch).loss().getFloat()).isCloseTo(0.6364074462409067 + 0.5 * 30.0 / 9.0,
        within(1e-5));
    assertThatThrownBy(() -> new DpoLoss(0.1, 0, List.of(DpoLossType.SIGMOID), List.of(1.0, 2.0)))
        .hasMessageContaining("loss_weights");
    assertThat(DpoLossType.fromTrlName("apo_zero")).isEqualTo(DpoLossType.APO_ZERO);
    assertThatThrownBy(() -> DpoLossType.fromTrlName("kto")).hasMessageContaining("sigmoid_norm");
  }

  @Test
  void metricsUseTrlNamesAndDefinitions() {
    Map<String, Double> mt = DpoLoss.sigmoid(0.1).compute(batch).metrics();
    assertThat(mt.get("rewards/chosen")).isCloseTo(0.0, within(1e-6)); // mean(0.1, -0.1)
    assertThat(mt.get("rewards/rejected")).isCloseTo(-0.125, within(1e-6)); // mean(-0.2, -0.05)
    assertThat(mt.get("rewards/margins")).isCloseTo(0.125, within(1e-6));
    assertThat(mt.get("rewards/accuracies")).isEqualTo(0.5); // pair 1 right, pair 2 wrong
    assertThat(mt.get("logps/chosen")).isEqualTo(-15.0);
    assertThat(mt.get("logps/rejected")).isEqualTo(-16.0);
  }

  @Test
  void sigmoidGradientIsMinusBetaTimesOneMinusSigmoidOverBatch() {
    NDArray pc = batch.policyChosen();
    pc.setRequiresGradient(true);
    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
      gc.backward(DpoLoss.sigmoid(0.1).compute(batch).loss());
    }
    float[] g = pc.getGradient().toFloatArray();
    // d/dpi_c mean(-log sig(beta d)) = -beta (1 - sig(beta d)) / B
    assertThat((double) g[0]).isCloseTo(-0.1 * (1 - 1 / (1 + Math.exp(-0.3))) / 2, within(1e-7));
    assertThat((double) g[1]).isCloseTo(-0.1 * (1 - 1 / (1 + Math.exp(0.05))) / 2, within(1e-7));
  }
}
