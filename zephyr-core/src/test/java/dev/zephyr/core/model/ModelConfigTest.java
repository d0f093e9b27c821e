package dev.zephyr.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.zephyr.core.InvalidInputException;
import dev.zephyr.core.io.Json;
import dev.zephyr.core.testing.TestData;
import java.util.List;
import org.junit.jupiter.api.Test;

class ModelConfigTest {
  @Test
  void readsTheFixtures() {
    ModelConfig q = ModelConfig.load(TestData.path("fixtures", "qwen2-tied-bf16"));
    assertThat(q.modelType()).isEqualTo(ModelType.QWEN2);
    assertThat(q.attentionBias()).isTrue();
    assertThat(q.tieWordEmbeddings()).isTrue();
    assertThat(q.ropeTheta()).isEqualTo(1e6);
    assertThat(q.headDim()).isEqualTo(16);
    assertThat(q.slidingWindow()).isNull();
    ModelConfig m = ModelConfig.load(TestData.path("fixtures", "mistral-window8-f32", "config.json"));
    assertThat(m.slidingWindow()).isEqualTo(8);
    assertThat(m.numKeyValueHeads()).isEqualTo(1);
    assertThat(m.eosTokenIds()).containsExactly(2);
    assertThat(m.attentionBias()).isFalse();
  }

  @Test
  void missingKeysAndUnsupportedTypesNameTheKey() throws Exception {
    ObjectNode base = (ObjectNode) ModelConfig.builder().build().toJsonNode();
    ObjectNode noHidden = base.deepCopy();
    noHidden.remove("hidden_size");
    assertThatThrownBy(() -> ModelConfig.fromJson(noHidden, "x/config.json"))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("x/config.json")
        .hasMessageContaining("'hidden_size'");
    ObjectNode gpt = base.deepCopy();
    gpt.put("model_type", "gpt2");
    assertThatThrownBy(() -> ModelConfig.fromJson(gpt, "c")).isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("'model_type'").hasMessageContaining("gpt2");
    ObjectNode badKv = base.deepCopy();
    badKv.put("num_key_value_heads", 3);
    assertThatThrownBy(() -> ModelConfig.fromJson(badKv, "c")).hasMessageContaining("'num_key_value_heads'");
    ObjectNode gelu = base.deepCopy();
    gelu.put("hidden_act", "gelu");
    assertThatThrownBy(() -> ModelConfig.fromJson(gelu, "c")).hasMessageContaining("'hidden_act'");
    ObjectNode badRope = base.deepCopy();
    badRope.putObject("rope_scaling").put("rope_type", "yarn").put("factor", 4.0);
    assertThatThrownBy(() -> ModelConfig.fromJson(badRope, "c")).hasMessageContaining("rope_scaling.rope_type");
  }

  @Test
  void eosListLlama3ScalingAndJsonRoundTrip() throws Exception {
    String json = """
        {"model_type": "llama", "hidden_size": 64, "num_hidden_layers": 1, "num_attention_heads": 4,
         "num_key_value_heads": 2, "intermediate_size": 96, "vocab_size": 300, "rms_norm_eps": 1e-5,
         "rope_theta": 500000.0, "eos_token_id": [128001, 128008, 128009],
         "rope_scaling": {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                          "original_max_position_embeddings": 8192}}""";
    ModelConfig c = ModelConfig.fromJson(Json.mapper().readTree(json), "c");
    assertThat(c.eosTokenIds()).containsExactly(128001, 128008, 128009);
    assertThat(c.ropeScaling().type()).isEqualTo("llama3");
    float[] scaled = RopeScaling.inverseFrequencies(c);
    float[] plain = RopeScaling.inverseFrequencies(c.toBuilder().ropeScaling(null).build());
    // high frequencies (short wavelengths) are untouched, the lowest is divided by the factor
    assertThat(scaled[0]).isEqualTo(plain[0]);
    assertThat(scaled[scaled.length - 1]).isCloseTo(plain[plain.length - 1] / 8f,
        org.assertj.core.data.Offset.offset(1e-12f));
    ModelConfig back = ModelConfig.fromJson(Json.mapper().readTree(c.toJson()), "c");
    assertThat(back).isEqualTo(c);
    ModelConfig qwen = ModelConfig.builder().modelType(ModelType.QWEN2).slidingWindow(16).eosTokenIds(List.of(2, 3))
        .build();
    assertThat(ModelConfig.fromJson(Json.mapper().readTree(qwen.toJson()), "c")).isEqualTo(qwen);
  }
}
