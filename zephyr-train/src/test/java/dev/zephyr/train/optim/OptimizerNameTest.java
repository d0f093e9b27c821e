package dev.zephyr.train.optim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class OptimizerNameTest {

  @Test
  void parsesTransformersNamesAndMapsAliasesToTheirAlgorithm() {
    assertThat(OptimizerName.fromHfName("adamw_torch")).isEqualTo(OptimizerName.ADAMW_TORCH);
    assertThat(OptimizerName.fromHfName(" RMSprop ")).isEqualTo(OptimizerName.RMSPROP);
    assertThat(OptimizerName.fromHfName("adafactor").algorithm()).isEqualTo(OptimizerName.Algorithm.ADAFACTOR);
    assertThat(OptimizerName.fromHfName("adamw_torch_fused").algorithm()).isEqualTo(OptimizerName.Algorithm.ADAMW);
    assertThat(OptimizerName.fromHfName("paged_adamw_32bit").algorithm()).isEqualTo(OptimizerName.Algorithm.ADAMW);
    assertThat(OptimizerName.hfNames())
        .containsExactly("adamw_torch", "adamw_torch_fused", "paged_adamw_32bit", "rmsprop", "adafactor");
  }

  @Test
  void refusesOtherNamesListingTheSupportedOnesAndSaysWhyForKnownLookalikes() {
    assertThatThrownBy(() -> OptimizerName.fromHfName("sgd")).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("unsupported optim 'sgd'; supported: adamw_torch, adamw_torch_fused, paged_adamw_32bit, rmsprop,"
            + " adafactor");
    assertThatThrownBy(() -> OptimizerName.fromHfName("adamw_hf")).hasMessageContaining("eps added before the bias")
        .hasMessageContaining("supported: adamw_torch");
    assertThatThrownBy(() -> OptimizerName.fromHfName("paged_adamw_8bit")).hasMessageContaining("8 bits");
  }
}
