package dev.zephyr.train.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.types.Shape;
import dev.zephyr.core.InvalidInputException;
import dev.zephyr.core.model.LlamaModel;
import dev.zephyr.core.model.ModelConfig;
import dev.zephyr.core.model.ModelType;
import org.junit.jupiter.api.Test;

/** The shape table: the real models' sizes and parameter counts, and the names torch_reference.py uses. */
class BenchShapeTest {

  private static long params(BenchShape s) {
    return LlamaModel.parameterShapes(s.config(4096)).values().stream().mapToLong(Shape::size).sum();
  }

  @Test
  void realShapesHaveTheirModelsParameterCounts() {
    // the counts the Hugging Face checkpoints report
    assertThat(params(BenchShape.named("smollm2-135m"))).isEqualTo(134_515_008L);
    assertThat(params(BenchShape.named("qwen2.5-0.5b"))).isEqualTo(494_032_768L);
    assertThat(params(BenchShape.named("default"))).isEqualTo(19_286_272L);
  }

  @Test
  void qwenHasBiasesItsNormEpsilonAndATiedHead() {
    ModelConfig qwen = BenchShape.QWEN2_5_0_5B.config(4096);
    assertThat(qwen.modelType()).isEqualTo(ModelType.QWEN2);
    assertThat(qwen.attentionBias()).isTrue();
    assertThat(qwen.rmsNormEps()).isEqualTo(1e-6);
    assertThat(qwen.tieWordEmbeddings()).isTrue();
    assertThat(qwen.headDim()).isEqualTo(64);
    assertThat(LlamaModel.parameterShapes(qwen)).containsEntry("model.layers.0.self_attn.k_proj.bias", new Shape(128))
        .doesNotContainKey("lm_head.weight");
    ModelConfig smol = BenchShape.SMOLLM2_135M.config(4096);
    assertThat(smol.attentionBias()).isFalse();
    assertThat(smol.numKeyValueHeads()).isEqualTo(3);
    assertThat(smol.headDim()).isEqualTo(64);
  }

  @Test
  void sizeFlagsGiveTheDefaultOrACustomShape() {
    assertThat(BenchShape.sized(32000, 256, 688, 4, 8, 4)).isSameAs(BenchShape.DEFAULT);
    BenchShape custom = BenchShape.sized(256, 32, 64, 2, 4, 2);
    assertThat(custom.name()).isEqualTo("custom");
    assertThat(custom.tied()).isFalse();
  }

  @Test
  void unknownNamesAndImpossibleSizesAreRefused() {
    assertThatThrownBy(() -> BenchShape.named("qwen2.5-7b")).isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("--shape").hasMessageContaining("unknown shape 'qwen2.5-7b'")
        .hasMessageContaining("default, smollm2-135m, qwen2.5-0.5b");
    assertThatThrownBy(() -> BenchShape.sized(256, 30, 64, 2, 4, 2)).isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("hidden 30 must split into 4 heads");
  }
}
