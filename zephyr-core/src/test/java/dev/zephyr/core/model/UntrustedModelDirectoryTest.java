package dev.zephyr.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.zephyr.core.CheckpointException;
import dev.zephyr.core.InvalidInputException;
import dev.zephyr.core.chat.FinishReason;
import dev.zephyr.core.chat.SamplingParams;
import dev.zephyr.core.generate.GeneratedSequence;
import dev.zephyr.core.generate.GenerationRequest;
import dev.zephyr.core.generate.Generator;
import dev.zephyr.core.io.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A model directory is untrusted input: sizes are validated before anything is allocated from them, tensors are
 * checked against the config before their data is read, and non-finite weights are refused with the tensor's name.
 */
class UntrustedModelDirectoryTest {
  private static final ModelConfig TINY = ModelConfig.builder().vocabSize(40).hiddenSize(16).intermediateSize(32)
      .numHiddenLayers(2).numAttentionHeads(2).numKeyValueHeads(1).maxPositionEmbeddings(24).eosTokenIds(List.of(1))
      .build();

  @TempDir Path dir;
  private NDManager manager;

  @BeforeEach
  void open() {
    manager = NDManager.newBaseManager();
  }

  @AfterEach
  void close() {
    manager.close();
  }

  private Path saved() {
    Path model = dir.resolve("model");
    try (LlamaModel m = LlamaModel.random(TINY, 3, manager)) {
      m.save(model);
    }
    return model;
  }

  private static void edit(Path model, String key, Object value) throws Exception {
    ObjectNode config = (ObjectNode) Json.mapper().readTree(model.resolve("config.json").toFile());
    config.set(key, Json.mapper().valueToTree(value));
    Files.writeString(model.resolve("config.json"), Json.mapper().writeValueAsString(config));
  }

  @Test
  void zeroHeadsIsAFieldErrorNamingTheFileNotAnArithmeticException() throws Exception {
    Path model = saved();
    edit(model, "num_attention_heads", 0);
    edit(model, "head_dim", null);
    assertThatThrownBy(() -> LlamaModel.load(model, manager)).isInstanceOf(InvalidInputException.class)
        .hasMessageContaining(model.resolve("config.json").toString())
        .hasMessageContaining("field 'num_attention_heads'").hasMessageContaining("must be a positive integer");
  }

  @Test
  void absurdSizesAreRefusedBeforeAnyAllocation() throws Exception {
    Path model = saved();
    edit(model, "num_hidden_layers", 1_000_000);
    assertThatThrownBy(() -> ModelConfig.load(model)).isInstanceOf(InvalidInputException.class)
        .hasMessageContaining(model.resolve("config.json").toString())
        .hasMessageContaining("field 'num_hidden_layers'").hasMessageContaining("at most 1024");
    edit(model, "num_hidden_layers", 2);
    edit(model, "hidden_size", 1_000_000_000);
    assertThatThrownBy(() -> ModelConfig.load(model)).hasMessageContaining("field 'hidden_size'")
        .hasMessageContaining("at most 65536");
    edit(model, "hidden_size", 1e9);
    assertThatThrownBy(() -> ModelConfig.load(model)).hasMessageContaining("expected an integer");
  }

  @Test
  void sizesThatDisagreeWithTheTensorsNameTheTensorBeforeReadingData() throws Exception {
    Path model = saved();
    edit(model, "intermediate_size", 64);
    assertThatThrownBy(() -> LlamaModel.load(model, manager)).isInstanceOf(CheckpointException.class)
        .hasMessageContaining("tensor 'model.layers.0.mlp.gate_proj.weight' has shape (32, 16), config.json implies"
            + " (64, 16)");
    edit(model, "intermediate_size", 32);
    edit(model, "num_hidden_layers", 3);
    assertThatThrownBy(() -> LlamaModel.load(model, manager)).isInstanceOf(CheckpointException.class)
        .hasMessageContaining("missing tensor 'model.layers.2.self_attn.q_proj.weight'");
  }

  @Test
  void nonFiniteWeightsAreRefusedWithTheTensorNameUnlessAllowed() {
    Path model = dir.resolve("nan");
    try (LlamaModel m = LlamaModel.random(TINY, 3, manager)) {
      m.parameters().get("model.layers.1.mlp.up_proj.weight").set(new NDIndex("3, 5"), Float.NaN);
      m.parameters().get("model.layers.1.mlp.up_proj.weight").set(new NDIndex("4, 5"), Float.POSITIVE_INFINITY);
      m.save(model);
    }
    assertThatThrownBy(() -> LlamaModel.load(model, manager)).isInstanceOf(CheckpointException.class)
        .hasMessageContaining("tensor 'model.layers.1.mlp.up_proj.weight' has 2 NaN or infinite values");
    System.setProperty(CheckpointChecks.ALLOW_NON_FINITE, "true");
    try (LlamaModel m = LlamaModel.load(model, manager)) {
      assertThat(m.parameters().get("model.layers.1.mlp.up_proj.weight").isNaN().any().getBoolean()).isTrue();
    } finally {
      System.clearProperty(CheckpointChecks.ALLOW_NON_FINITE);
    }
  }

  @Test
  void maxTokensBeyondTheContextIsCappedByIt() {
    try (LlamaModel m = LlamaModel.random(TINY, 3, manager)) {
      // eos id 1 is pushed far down so that the run can only end at the context length
      m.parameters().get("model.embed_tokens.weight").set(new NDIndex("1"), -50f);
      int[] prompt = {5, 6, 7, 8};
      GeneratedSequence s = new Generator(m, null, manager).generate(List.of(
          new GenerationRequest(prompt, SamplingParams.greedy(2_000_000_000)))).get(0).choices().get(0);
      assertThat(s.finishReason()).isEqualTo(FinishReason.LENGTH);
      assertThat(s.tokenIds()).hasSizeLessThanOrEqualTo(TINY.maxPositionEmbeddings() - prompt.length);
    }
  }
}
