package dev.zephyr.train.optim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/** Values worked out by hand from transformers' get_*_schedule_with_warmup lambdas. */
class LrScheduleTest {

  @Test
  void warmupStepsFromRatioRoundUpAndExplicitStepsWin() {
    assertThat(LrSchedule.warmupSteps(25, 0, 0.1)).isEqualTo(3); // ceil(2.5)
    assertThat(LrSchedule.warmupSteps(10, 0, 0.1)).isEqualTo(1);
    assertThat(LrSchedule.warmupSteps(10, 4, 0.1)).isEqualTo(4);
    assertThat(LrSchedule.warmupSteps(10, 0, 0.0)).isZero();
  }

  @Test
  void linearWarmsUpFromZeroThenDecaysToZero() {
    LrSchedule s = new LrSchedule(SchedulerType.LINEAR, 1e-3, 2, 10);
    assertThat(s.lr(0)).isEqualTo(0.0); // the first update runs at lr 0, as in HF
    assertThat(s.lr(1)).isCloseTo(0.5e-3, within(1e-15));
    assertThat(s.lr(2)).isCloseTo(1e-3, within(1e-15));
    assertThat(s.lr(6)).isCloseTo(0.5e-3, within(1e-15)); // (10 - 6) / (10 - 2)
    assertThat(s.lr(9)).isCloseTo(0.125e-3, within(1e-15));
    assertThat(s.lr(10)).isEqualTo(0.0);
  }

  @Test
  void cosineWithWarmupRatio() {
    LrSchedule s = new LrSchedule(SchedulerType.COSINE, 2e-5, LrSchedule.warmupSteps(10, 0, 0.1), 10);
    assertThat(s.lr(0)).isEqualTo(0.0);
    assertThat(s.lr(1)).isCloseTo(2e-5, within(1e-18)); // progress 0
    // step 5: progress 4/9, 0.5 * (1 + cos(4 pi / 9)) = 0.5 * (1 + 0.17364817766693) = 0.58682408883347
    assertThat(s.factor(5)).isCloseTo(0.58682408883347, within(1e-12));
    // step 7: progress 6/9, 0.5 * (1 + cos(2 pi / 3)) = 0.25
    assertThat(s.factor(7)).isCloseTo(0.25, within(1e-12));
    assertThat(s.factor(10)).isCloseTo(0.0, within(1e-15));
  }

  @Test
  void constantIgnoresWarmupAndConstantWithWarmupRamps() {
    LrSchedule c = new LrSchedule(SchedulerType.CONSTANT, 1e-4, 4, 10);
    assertThat(c.lr(0)).isEqualTo(1e-4);
    LrSchedule w = new LrSchedule(SchedulerType.CONSTANT_WITH_WARMUP, 1e-4, 4, 10);
    assertThat(w.lr(0)).isEqualTo(0.0);
    assertThat(w.lr(2)).isCloseTo(0.5e-4, within(1e-18));
    assertThat(w.lr(4)).isEqualTo(1e-4);
    assertThat(w.lr(9)).isEqualTo(1e-4);
  }

  @Test
  void parsesTransformersNames() {
    assertThat(SchedulerType.fromHfName("cosine")).isEqualTo(SchedulerType.COSINE);
    assertThat(SchedulerType.fromHfName("constant_with_warmup")).isEqualTo(SchedulerType.CONSTANT_WITH_WARMUP);
    assertThatThrownBy(() -> SchedulerType.fromHfName("polynomial"))
        .hasMessageContaining("polynomial").hasMessageContaining("cosine");
  }
}
