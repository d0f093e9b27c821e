package dev.zephyr.train.bench;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import dev.zephyr.core.model.LlamaModel;
import dev.zephyr.core.model.ModelConfig;
import dev.zephyr.core.model.lora.LoraAdapter;
import dev.zephyr.core.model.lora.LoraConfig;
import org.junit.jupiter.api.Test;

/** The MFU numerator, against sums done by hand. */
class TrainFlopsTest {
  // vocab 10, hidden 4, inter 8, 1 layer, 2 heads of 2, 1 KV head, untied
  private static final ModelConfig TINY = BenchShape.sized(10, 4, 8, 1, 2, 1).config(16);

  @Test
  void matmulParametersAreTheProjectionsAndTheHead() {
    // q 4x4 + k 2x4 + v 2x4 + o 4x4 + gate, up, down 8x4 each = 144; head 10x4 = 40
    assertThat(TrainFlops.matmulParams(TINY)).isEqualTo(184);
    // SmolLM2: 30 x (576² x 2 + 576 x 192 x 2 + 3 x 576 x 1536) + 49152 x 576 (the tied head)
    assertThat(TrainFlops.matmulParams(BenchShape.SMOLLM2_135M.config(4096))).isEqualTo(134_479_872L);
  }

  @Test
  void fullFineTuningIsSixNPlusAttention() {
    // 6 x 184 + 12 x 1 layer x 4 (heads x head_dim) x 3 tokens
    assertThat(TrainFlops.trainedToken(TINY, 0, 3)).isEqualTo(1104 + 144);
    // SmolLM2 at 512 tokens: 6 x 134,479,872 + 12 x 30 x 576 x 512
    assertThat(TrainFlops.trainedToken(BenchShape.SMOLLM2_135M.config(4096), 0, 512))
        .isEqualTo(806_879_232.0 + 106_168_320.0);
  }

  @Test
  void loraTrainsOnlyTheAdaptersWeightsAndAReferenceOnlyRunsForward() {
    try (NDManager m = NDManager.newBaseManager(); LlamaModel base = LlamaModel.random(TINY, 0, m);
        LoraAdapter lora = LoraAdapter.create(base, LoraConfig.of(2, 2), 0, m)) {
      // A [2, in] + B [out, 2]: q 8+8, k 8+4, v 8+4, o 8+8, gate 8+16, up 8+16, down 16+8
      assertThat(lora.parameterCount()).isEqualTo(128);
    }
    // 4 x (184 + 128) + 2 x 128 + 144
    assertThat(TrainFlops.trainedToken(TINY, 128, 3)).isEqualTo(1648);
    // 2 x 184 + 4 x 1 x 4 x 3
    assertThat(TrainFlops.referenceToken(TINY, 3)).isEqualTo(416);
  }
}
