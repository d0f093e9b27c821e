package dev.zephyr.core.model.lora;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDManager;
import dev.zephyr.core.InvalidInputException;
import dev.zephyr.core.model.LlamaModel;
import dev.zephyr.core.model.safetensors.Dtype;
import dev.zephyr.core.model.safetensors.FloatFormats;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An adapter directory loaded as one model: W + scaling·B·A in the base's stored precision, other weights as they
 * are; chains of adapter directories are followed, cycles refused.
 */
class LoadMergedTest {
  private static final String Q = "model.layers.1.self_attn.q_proj";
  @TempDir Path tmp;

  /** The hand-computed merge of {@link #Q}: W + (alpha/r)·B·A over the float32 values, row-major. */
  private static float[] handMerged(LlamaModel base, LoraAdapter lora) {
    long[] wShape = base.parameters().get(Q + ".weight").getShape().getShape();
    int out = (int) wShape[0];
    int in = (int) wShape[1];
    int r = lora.config().r();
    float[] w = base.parameters().get(Q + ".weight").toFloatArray();
    float[] a = lora.parameters().get(Q + LoraAdapter.A).toFloatArray();
    float[] b = lora.parameters().get(Q + LoraAdapter.B).toFloatArray();
    double scale = lora.config().loraAlpha() / r;
    float[] merged = new float[out * in];
    for (int i = 0; i < out; i++) {
      for (int j = 0; j < in; j++) {
        double ba = 0;
        for (int k = 0; k < r; k++) {
          ba += b[i * r + k] * a[k * in + j];
        }
        merged[i * in + j] = (float) (w[i * in + j] + scale * ba);
      }
    }
    return merged;
  }

  private static void assertMergedWithin1e6(LlamaModel merged, float[] want) {
    float[] got = merged.parameters().get(Q + ".weight").toFloatArray();
    for (int i = 0; i < want.length; i++) {
      assertThat(got[i]).isCloseTo(want[i], org.assertj.core.data.Offset.offset(1e-6f));
    }
  }

  @Test
  void aBf16BaseGetsTheMergeRoundedToBf16AndKeepsItsOtherWeights() throws Exception {
    Path bf16 = tmp.resolve("bf16-base");
    try (NDManager m = NDManager.newBaseManager(); LlamaModel f32 = LlamaModel.load(AdaptedModelTest.BASE, m)) {
      f32.save(bf16, Dtype.BF16, null);
    }
    Path adapter = tmp.resolve("adapter");
    AdaptedModelTest.writeAdapter(bf16, bf16.toString(), adapter);

    try (NDManager m = NDManager.newBaseManager(); LlamaModel base = LlamaModel.load(bf16, m);
        LoraAdapter lora = PeftFiles.load(adapter, base.config(), m);
        LlamaModel merged = AdaptedModel.loadMerged(adapter, m)) {
      float[] want = handMerged(base, lora);
      float[] got = merged.parameters().get(Q + ".weight").toFloatArray();
      float[] before = base.parameters().get(Q + ".weight").toFloatArray();
      int changed = 0;
      for (int i = 0; i < want.length; i++) {
        float rounded = FloatFormats.bf16ToFloat(FloatFormats.floatToBf16(got[i]));
        assertThat(got[i]).as("stored as bf16 holds it, element %d", i).isEqualTo(rounded);
        // one bf16 step (8 significant bits) at most from the exact merge
        assertThat((double) Math.abs(got[i] - want[i])).isLessThanOrEqualTo(Math.abs(want[i]) / 128 + 1e-30);
        changed += got[i] != before[i] ? 1 : 0;
      }
      assertThat(changed).as("the adapter changed the projection").isGreaterThan(want.length / 2);
      assertThat(merged.parameters().get("model.embed_tokens.weight").toFloatArray())
          .containsExactly(base.parameters().get("model.embed_tokens.weight").toFloatArray());
    }
  }

  @Test
  void aFloat32BaseGetsTheExactMergeAndAnAdapterOverAnAdapterIsFollowed() throws Exception {
    Path first = tmp.resolve("sft");
    AdaptedModelTest.writeAdapter(AdaptedModelTest.BASE, AdaptedModelTest.BASE.toString(), first);
    try (NDManager m = NDManager.newBaseManager(); LlamaModel base = LlamaModel.load(AdaptedModelTest.BASE, m);
        LoraAdapter lora = PeftFiles.load(first, base.config(), m);
        LlamaModel merged = AdaptedModel.loadMerged(first, m)) {
      assertMergedWithin1e6(merged, handMerged(base, lora));
    }

    // a second adapter naming the first adapter's directory: base, then first merged, then second merged
    Path second = tmp.resolve("dpo");
    AdaptedModelTest.writeAdapter(AdaptedModelTest.BASE, first.toString(), second);
    assertThat(AdaptedModel.baseOf(second)).isEqualTo(first);
    try (NDManager m = NDManager.newBaseManager(); LlamaModel sft = AdaptedModel.loadMerged(first, m);
        LoraAdapter lora = PeftFiles.load(second, sft.config(), m);
        LlamaModel both = AdaptedModel.loadMerged(second, m)) {
      assertMergedWithin1e6(both, handMerged(sft, lora));
    }
    assertThat(AdaptedModel.tokenizerDirOf(second)).isEqualTo(AdaptedModelTest.BASE.normalize());
  }

  @Test
  void anAdapterNamingItselfIsRefusedNamingTheField() throws Exception {
    Path loop = tmp.resolve("loop");
    AdaptedModelTest.writeAdapter(AdaptedModelTest.BASE, "placeholder", loop);
    Path config = loop.resolve(PeftFiles.CONFIG);
    Files.writeString(config, Files.readString(config).replace("placeholder", loop.toString()));
    try (NDManager m = NDManager.newBaseManager()) {
      assertThatThrownBy(() -> AdaptedModel.loadMerged(loop, m)).isInstanceOf(InvalidInputException.class)
          .hasMessageContaining(config.toString()).hasMessageContaining("base_model_name_or_path")
          .hasMessageContaining("cycle");
    }
    assertThatThrownBy(() -> AdaptedModel.tokenizerDirOf(loop)).isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("base_model_name_or_path").hasMessageContaining("cycle");
  }
}
