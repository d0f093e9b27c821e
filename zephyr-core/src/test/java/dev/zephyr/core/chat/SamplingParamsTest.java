package dev.zephyr.core.chat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class SamplingParamsTest {
  @Test
  void penaltiesDefaultToNeutralAndSurviveToBuilder() {
    SamplingParams d = SamplingParams.defaults();
    assertThat(d.presencePenalty()).isZero();
    assertThat(d.frequencyPenalty()).isZero();
    assertThat(d.repetitionPenalty()).isEqualTo(1.0);
    assertThat(d.hasPenalties()).isFalse();
    SamplingParams p = SamplingParams.builder().presencePenalty(2).frequencyPenalty(-2).repetitionPenalty(1.3).build();
    assertThat(p.toBuilder().build()).isEqualTo(p);
    assertThat(p.hasPenalties()).isTrue();
    assertThat(SamplingParams.builder().frequencyPenalty(0.1).build().hasPenalties()).isTrue();
  }

  @Test
  void outOfRangePenaltiesAreRejectedNamingTheField() {
    assertThatThrownBy(() -> SamplingParams.builder().presencePenalty(2.01).build())
        .isInstanceOf(IllegalArgumentException.class).hasMessage("presence_penalty must be in [-2, 2], got 2.01");
    assertThatThrownBy(() -> SamplingParams.builder().frequencyPenalty(-3).build())
        .isInstanceOf(IllegalArgumentException.class).hasMessage("frequency_penalty must be in [-2, 2], got -3.0");
    assertThatThrownBy(() -> SamplingParams.builder().presencePenalty(Double.NaN).build())
        .hasMessageContaining("presence_penalty");
    assertThatThrownBy(() -> SamplingParams.builder().repetitionPenalty(0).build())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("repetition_penalty must be")
        .hasMessageContaining("> 0, got 0.0");
    assertThatThrownBy(() -> SamplingParams.builder().repetitionPenalty(Double.NaN).build())
        .hasMessageContaining("repetition_penalty");
    // the range ends are valid
    assertThat(SamplingParams.builder().presencePenalty(-2).frequencyPenalty(2).build().frequencyPenalty())
        .isEqualTo(2);
  }
}
