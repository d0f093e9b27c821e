package dev.zephyr.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.zephyr.core.model.safetensors.Dtype;
import dev.zephyr.core.testing.TestData;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** A model whose frozen weights stay BF16/F16 computes exactly what the widened float32 model computes. */
class HalfPrecisionWeightsTest {
  private static final long[][] IDS = {{1, 17, 300, 5, 999, 42, 7}, {1, 3, 3, 800, 64, 2, 0}};
  private static final long[][] MASK = {{1, 1, 1, 1, 1, 1, 1}, {1, 1, 1, 1, 1, 1, 0}};

  @TempDir Path tmp;
  private NDManager manager;

  @BeforeEach
  void open() {
    manager = NDManager.newBaseManager();
  }

  @AfterEach
  void close() {
    manager.close();
  }

  private float[] tokenLogProbs(LlamaModel model) {
    NDArray ids = manager.create(IDS);
    NDArray mask = manager.create(MASK);
    return LogProbs.tokenLogProbs(model, ids, mask, 3).toFloatArray();
  }

  @Test
  void bf16FixtureKeptAtTwoBytesGivesTheWidenedModelsLogProbs() {
    Path dir = TestData.path("fixtures", "qwen2-tied-bf16");
    try (LlamaModel widened = LlamaModel.load(dir, manager);
        LlamaModel kept = LlamaModel.load(dir, manager, name -> true)) {
      assertThat(kept.parameters()).isEmpty();
      HalfPrecisionWeights half = kept.halfPrecisionWeights();
      assertThat(half.names()).containsExactlyInAnyOrderElementsOf(widened.parameters().keySet());
      assertThat(half.storedAs("model.embed_tokens.weight")).isEqualTo(Dtype.BF16);
      assertThat(kept.parameterCount()).isEqualTo(widened.parameterCount());
      assertThat(half.nativeBytes()).isEqualTo(2 * widened.parameterCount());

      float[] want = tokenLogProbs(widened);
      float[] got = tokenLogProbs(kept);
      assertThat(got).hasSize(12);
      for (int i = 0; i < want.length; i++) {
        assertThat((double) got[i]).as("log-prob %d", i).isCloseTo(want[i], org.assertj.core.data.Offset.offset(1e-6));
      }
    }
  }

  @ParameterizedTest
  @EnumSource(value = Dtype.class, names = {"BF16", "F16"})
  void keptWeightsWidenExactlyAndSaveBackToTheSameBytes(Dtype dtype) throws Exception {
    ModelConfig config = ModelConfig.load(TestData.path("fixtures", "qwen2-tied-bf16"));
    Path dir = tmp.resolve("m");
    try (LlamaModel random = LlamaModel.random(config, 7, manager)) {
      random.save(dir, dtype, null);
    }
    try (LlamaModel widened = LlamaModel.load(dir, manager);
        LlamaModel kept = LlamaModel.load(dir, manager, name -> true)) {
      for (String name : widened.parameterNames()) {
        try (NDManager scope = manager.newSubManager()) {
          NDArray w = kept.halfPrecisionWeights().widen(name, scope);
          assertThat(w.getDataType()).isEqualTo(DataType.FLOAT32);
          assertThat(w.toFloatArray()).as(name).containsExactly(widened.parameters().get(name).toFloatArray());
        }
      }
      assertThat(tokenLogProbs(kept)).containsExactly(tokenLogProbs(widened));

      Path again = tmp.resolve("again");
      kept.save(again, dtype, null);
      assertThat(Files.readAllBytes(again.resolve("model.safetensors")))
          .isEqualTo(Files.readAllBytes(dir.resolve("model.safetensors")));
    }
  }

  @Test
  void incrementalDecodingWithACacheMatchesTheWidenedModel() {
    Path dir = TestData.path("fixtures", "qwen2-tied-bf16");
    try (LlamaModel widened = LlamaModel.load(dir, manager);
        LlamaModel kept = LlamaModel.load(dir, manager, name -> true);
        KvCache a = widened.newCache(manager);
        KvCache b = kept.newCache(manager)) {
      NDArray prompt = manager.create(new long[][] {{1, 17, 300}});
      NDArray next = manager.create(new long[][] {{5}});
      assertThat(kept.forward(prompt, null, null, b).toFloatArray())
          .containsExactly(widened.forward(prompt, null, null, a).toFloatArray());
      assertThat(kept.forward(next, null, null, b).toFloatArray())
          .containsExactly(widened.forward(next, null, null, a).toFloatArray());
    }
  }

  @Test
  void namesLeftOutOfKeep16BitAreFloat32Parameters() {
    Path dir = TestData.path("fixtures", "qwen2-tied-bf16");
    String trainable = "model.layers.0.self_attn.q_proj.weight";
    try (LlamaModel model = LlamaModel.load(dir, manager, name -> !name.equals(trainable))) {
      assertThat(model.parameters()).containsOnlyKeys(trainable);
      assertThat(model.parameters().get(trainable).getDataType()).isEqualTo(DataType.FLOAT32);
      assertThat(model.parameters().get(trainable).getShape()).isEqualTo(new Shape(64, 64));
      assertThat(model.halfPrecisionWeights().contains(trainable)).isFalse();
      // a kept (tied) head comes back widened to float32 in the caller's manager, even outside any scope, so closing
      // that manager frees it (it does not linger in the model's manager until the model closes)
      NDArray head;
      try (NDManager caller = manager.newSubManager()) {
        head = model.headWeight(caller);
        assertThat(head.getManager()).isSameAs(caller);
        assertThat(head.getDataType()).isEqualTo(DataType.FLOAT32);
        assertThat(head.getShape()).isEqualTo(model.halfPrecisionWeights().shape("model.embed_tokens.weight"));
      }
      assertThat(head.isReleased()).isTrue();
      // a float32 parameter is handed out as the live array, not a copy
      try (NDManager caller = manager.newSubManager()) {
        assertThat(model.baseWeight(trainable, caller)).isSameAs(model.parameters().get(trainable));
      }
    }
  }

  @Test
  void float32CheckpointsHaveNothingToKeep() {
    try (LlamaModel model = LlamaModel.load(TestData.path("fixtures", "llama-gqa-f32"), manager, name -> true)) {
      assertThat(model.halfPrecisionWeights()).isNull();
      assertThat(model.parameters()).isNotEmpty();
    }
  }
}
