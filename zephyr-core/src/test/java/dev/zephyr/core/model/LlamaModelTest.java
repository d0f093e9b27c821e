package dev.zephyr.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.zephyr.core.CheckpointException;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Behaviour of the decoder beyond fixture parity: padding, KV cache, sliding window, biases, log-prob chunking. */
class LlamaModelTest {
  static NDManager manager;
  static int threads;

  @BeforeAll
  static void open() {
    threads = dev.zephyr.core.testing.TorchThreads.useOne();
    manager = NDManager.newBaseManager();
  }

  @AfterAll
  static void close() {
    manager.close();
    dev.zephyr.core.testing.TorchThreads.restore(threads);
  }

  static ModelConfig tiny(ModelType type) {
    return ModelConfig.builder().modelType(type).vocabSize(97).hiddenSize(32).numAttentionHeads(4)
        .numKeyValueHeads(2).intermediateSize(48).numHiddenLayers(2).build();
  }

  static NDArray ids(long[][] rows) {
    int b = rows.length;
    int t = rows[0].length;
    long[] flat = new long[b * t];
    for (int i = 0; i < b; i++) {
      System.arraycopy(rows[i], 0, flat, i * t, t);
    }
    return manager.create(flat, new Shape(b, t));
  }

  static float maxAbsDiff(NDArray a, NDArray b) {
    return a.sub(b).abs().max().getFloat();
  }

  @Test
  void leftPaddedBatchEqualsUnpaddedSequences() {
    try (LlamaModel model = LlamaModel.random(tiny(ModelType.QWEN2), 7, 0.3, manager); NDScope s = new NDScope()) {
      s.suppressNotUsedWarning();
      long[] a = {1, 5, 9, 12, 40, 3};
      long[] b = {1, 42, 43};
      NDArray batch = ids(new long[][] {a, {0, 0, 0, 1, 42, 43}});
      NDArray mask = ids(new long[][] {{1, 1, 1, 1, 1, 1}, {0, 0, 0, 1, 1, 1}});
      NDArray logits = model.forward(batch, mask, null, null);
      NDArray alone = model.forward(ids(new long[][] {b}), null, null, null);
      NDArray aAlone = model.forward(ids(new long[][] {a}), null, null, null);
      assertThat(maxAbsDiff(logits.get(new NDIndex("1, 3:, :")), alone.get(0))).isLessThan(1e-4f);
      assertThat(maxAbsDiff(logits.get(new NDIndex("0")), aAlone.get(0))).isLessThan(1e-4f);
      // and the padding really matters: without the mask the second row differs
      NDArray unmasked = model.forward(batch, null, null, null);
      assertThat(maxAbsDiff(unmasked.get(new NDIndex("1, 3:, :")), alone.get(0))).isGreaterThan(1e-3f);
    }
  }

  @Test
  void kvCacheIncrementalDecodeEqualsFullForward() {
    ModelConfig c = tiny(ModelType.MISTRAL).toBuilder().slidingWindow(3).build();
    try (LlamaModel model = LlamaModel.random(c, 11, 0.3, manager); NDScope s = new NDScope()) {
      s.suppressNotUsedWarning();
      long[][] rows = {{0, 0, 1, 7, 8, 9, 10, 11}, {1, 2, 3, 4, 5, 6, 7, 8}};
      long[][] maskRows = {{0, 0, 1, 1, 1, 1, 1, 1}, {1, 1, 1, 1, 1, 1, 1, 1}};
      NDArray full = model.forward(ids(rows), ids(maskRows), null, null);
      try (KvCache cache = model.newCache(manager)) {
        NDArray prefill = model.forward(ids(rows).get(":, 0:4"), ids(maskRows).get(":, 0:4"), null, cache);
        // padding query positions hold garbage by design; compare the real ones
        assertThat(maxAbsDiff(prefill.get("0, 2:4, :"), full.get("0, 2:4, :"))).isLessThan(1e-4f);
        assertThat(maxAbsDiff(prefill.get("1, 0:4, :"), full.get("1, 0:4, :"))).isLessThan(1e-4f);
        for (int t = 4; t < 8; t++) {
          // mask for the new token only; the cache remembers the past
          NDArray step = model.forward(ids(rows).get(new NDIndex(":, {}:{}", t, t + 1)),
              ids(maskRows).get(new NDIndex(":, {}:{}", t, t + 1)), null, cache);
          assertThat(maxAbsDiff(step, full.get(new NDIndex(":, {}:{}, :", t, t + 1)))).isLessThan(1e-4f);
        }
        assertThat(cache.length()).isEqualTo(8);
      }
    }
  }

  @Test
  void slidingWindowLimitsAttention() {
    ModelConfig windowed = tiny(ModelType.MISTRAL).toBuilder().slidingWindow(4).build();
    ModelConfig plain = tiny(ModelType.MISTRAL);
    try (LlamaModel w = LlamaModel.random(windowed, 3, 0.3, manager);
        LlamaModel p = new LlamaModel(plain, w.parameters(), null);
        NDScope s = new NDScope()) {
      s.suppressNotUsedWarning();
      long[] base = {1, 5, 9, 12, 40, 3, 17, 22, 8, 30};
      long[] changed = base.clone();
      changed[0] = 50; // position 0 is outside the 2-layer receptive field of position 9 (window 4: 9-2*3 = 3)
      NDArray a = w.forward(ids(new long[][] {base}), null, null, null);
      NDArray b = w.forward(ids(new long[][] {changed}), null, null, null);
      assertThat(maxAbsDiff(a.get(":, 9, :"), b.get(":, 9, :"))).isEqualTo(0f);
      assertThat(maxAbsDiff(a.get(":, 3, :"), b.get(":, 3, :"))).isGreaterThan(1e-3f);
      // without a window the last position does see the first token
      NDArray c = p.forward(ids(new long[][] {base}), null, null, null);
      NDArray d = p.forward(ids(new long[][] {changed}), null, null, null);
      assertThat(maxAbsDiff(c.get(":, 9, :"), d.get(":, 9, :"))).isGreaterThan(1e-3f);
      // the window equals the full causal mask when it is wider than the sequence
      assertThat(maxAbsDiff(a.get(":, 0:4, :"), c.get(":, 0:4, :"))).isLessThan(1e-5f);
    }
  }

  @Test
  void tokenLogProbsChunkedEqualFullLogSoftmaxAndAreDifferentiable() {
    try (LlamaModel model = LlamaModel.random(tiny(ModelType.LLAMA), 5, 0.3, manager); NDScope s = new NDScope()) {
      s.suppressNotUsedWarning();
      long[][] rows = {{0, 1, 5, 9, 12, 40, 3}, {1, 2, 3, 4, 5, 6, 7}};
      NDArray input = ids(rows);
      NDArray mask = ids(new long[][] {{0, 1, 1, 1, 1, 1, 1}, {1, 1, 1, 1, 1, 1, 1}});
      NDArray chunked = LogProbs.tokenLogProbs(model, input, mask, 2);
      assertThat(chunked.getShape()).isEqualTo(new Shape(2, 6));
      NDArray full = model.forward(input, mask, null, null).logSoftmax(-1);
      float[] got = chunked.toFloatArray();
      for (int b = 0; b < 2; b++) {
        for (int t = 0; t < 6; t++) {
          // row 0 position 0 is padding: its prediction of the first real token does not count
          float want = b == 0 && t == 0 ? 0f : full.getFloat(b, t, rows[b][t + 1]);
          assertThat(got[b * 6 + t]).as("b=%d t=%d", b, t).isCloseTo(want, org.assertj.core.data.Offset.offset(1e-5f));
        }
      }
      NDArray w = model.parameters().get("model.layers.0.mlp.up_proj.weight");
      w.setRequiresGradient(true);
      try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
        NDArray sum = LogProbs.tokenLogProbs(model, input, mask, 4).sum();
        gc.backward(sum);
      }
      assertThat(w.getGradient().abs().sum().getFloat()).isGreaterThan(0f);
      w.setRequiresGradient(false);
    }
  }

  @Test
  void qwen2BiasesAreUsed() {
    try (LlamaModel model = LlamaModel.random(tiny(ModelType.QWEN2), 1, 0.3, manager); NDScope s = new NDScope()) {
      s.suppressNotUsedWarning();
      NDArray input = ids(new long[][] {{1, 2, 3}});
      NDArray before = model.forward(input, null, null, null);
      NDArray bias = model.parameters().get("model.layers.0.self_attn.v_proj.bias");
      assertThat(bias).isNotNull();
      bias.addi(0.5f);
      NDArray after = model.forward(input, null, null, null);
      assertThat(maxAbsDiff(before, after)).isGreaterThan(1e-3f);
    }
  }

  @Test
  void randomInitIsDeterministicAndShapesAreChecked() {
    ModelConfig c = tiny(ModelType.LLAMA);
    try (LlamaModel a = LlamaModel.random(c, 42, manager); LlamaModel b = LlamaModel.random(c, 42, manager)) {
      NDArray wa = a.parameters().get("model.embed_tokens.weight");
      assertThat(wa.toFloatArray()).containsExactly(b.parameters().get("model.embed_tokens.weight").toFloatArray());
      float std = (float) Math.sqrt(wa.square().mean().getFloat());
      assertThat(std).isBetween(0.018f, 0.022f);
      assertThat(a.parameters().get("model.norm.weight").toFloatArray()).containsOnly(1f);
      Map<String, NDArray> broken = new HashMap<>(a.parameters());
      broken.put("model.norm.weight", manager.zeros(new Shape(31)));
      assertThatThrownBy(() -> new LlamaModel(c, broken, null)).isInstanceOf(CheckpointException.class)
          .hasMessageContaining("model.norm.weight").hasMessageContaining("(32)");
      broken.put("model.norm.weight", a.parameters().get("model.norm.weight"));
      broken.remove("lm_head.weight");
      assertThatThrownBy(() -> new LlamaModel(c, broken, null)).hasMessageContaining("lm_head.weight");
    }
  }

  @Test
  void saveAndLoadRoundTripGivesIdenticalLogits(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp)
      throws Exception {
    ModelConfig c = tiny(ModelType.QWEN2).toBuilder().tieWordEmbeddings(true).build();
    try (LlamaModel model = LlamaModel.random(c, 9, 0.3, manager); NDScope s = new NDScope()) {
      s.suppressNotUsedWarning();
      java.nio.file.Path dir = tmp.resolve("m");
      model.save(dir);
      model.save(dir); // overwriting an existing directory works too
      try (LlamaModel back = LlamaModel.load(dir, manager)) {
        assertThat(back.config()).isEqualTo(c);
        NDArray input = ids(new long[][] {{1, 2, 3, 4}});
        assertThat(maxAbsDiff(model.forward(input, null, null, null), back.forward(input, null, null, null)))
            .isEqualTo(0f);
      }
      // the config's special-token ids (bos 1, eos 2, no pad), as transformers writes them
      assertThat(dev.zephyr.core.io.Json.mapper().readTree(dir.resolve("generation_config.json").toFile()))
          .isEqualTo(dev.zephyr.core.io.Json.mapper().readTree("{\"bos_token_id\": 1, \"eos_token_id\": 2}"));
    }
  }

  @Test
  void explicitBlockDiagonalBiasWithPerDocumentPositionsEqualsSeparateSequences() {
    try (LlamaModel model = LlamaModel.random(tiny(ModelType.LLAMA), 13, 0.3, manager); NDScope s = new NDScope()) {
      s.suppressNotUsedWarning();
      long[] docA = {1, 5, 9};
      long[] docB = {1, 42, 43, 44};
      int t = 7;
      float[] bias = new float[t * t];
      int[] doc = {0, 0, 0, 1, 1, 1, 1};
      for (int i = 0; i < t; i++) {
        for (int j = 0; j < t; j++) {
          bias[i * t + j] = j <= i && doc[i] == doc[j] ? 0f : -1e30f;
        }
      }
      NDArray packed = model.forward(ids(new long[][] {{1, 5, 9, 1, 42, 43, 44}}),
          ids(new long[][] {{0, 1, 2, 0, 1, 2, 3}}), manager.create(bias, new Shape(1, 1, t, t)));
      NDArray a = model.forward(ids(new long[][] {docA}), null, null, null);
      NDArray b = model.forward(ids(new long[][] {docB}), null, null, null);
      assertThat(maxAbsDiff(packed.get(":, 0:3, :"), a)).isLessThan(1e-4f);
      assertThat(maxAbsDiff(packed.get(":, 3:, :"), b)).isLessThan(1e-4f);
      NDArray h = model.hidden(ids(new long[][] {{1, 5, 9, 1, 42, 43, 44}}),
          ids(new long[][] {{0, 1, 2, 0, 1, 2, 3}}), manager.create(bias, new Shape(1, 1, t, t)));
      assertThat(h.getShape()).isEqualTo(new Shape(1, 7, 32));
      assertThat(maxAbsDiff(model.head(h), packed)).isLessThan(1e-5f);
    }
  }

  @Test
  void gradientsThroughTheScopedForwardMatchFiniteDifferences() {
    ModelConfig c = tiny(ModelType.QWEN2).toBuilder().tieWordEmbeddings(true).build();
    try (LlamaModel model = LlamaModel.random(c, 17, 0.3, manager); NDScope s = new NDScope()) {
      s.suppressNotUsedWarning();
      NDArray input = ids(new long[][] {{0, 1, 5, 9, 12}, {1, 2, 3, 4, 5}});
      NDArray mask = ids(new long[][] {{0, 1, 1, 1, 1}, {1, 1, 1, 1, 1}});
      String[] names = {"model.embed_tokens.weight", "model.layers.1.self_attn.k_proj.bias",
          "model.layers.0.input_layernorm.weight"};
      for (String name : names) {
        NDArray w = model.parameters().get(name);
        w.setRequiresGradient(true);
        float analytic;
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
          gc.backward(LogProbs.tokenLogProbs(model, input, mask, 3).sum());
          analytic = w.getGradient().get(new NDIndex("{}", 5 % w.getShape().get(0))).flatten().getFloat(0);
          w.getGradient().subi(w.getGradient()); // DJL accumulates gradients across backward calls
        }
        w.setRequiresGradient(false);
        // central difference on the same element, in float32
        float eps = 1e-2f;
        NDIndex at = w.getShape().dimension() == 1 ? new NDIndex("{}", 5 % w.getShape().get(0))
            : new NDIndex("{}, 0", 5 % w.getShape().get(0));
        float orig = w.get(at).getFloat();
        w.set(at, orig + eps);
        float plus = LogProbs.tokenLogProbs(model, input, mask, 3).sum().getFloat();
        w.set(at, orig - eps);
        float minus = LogProbs.tokenLogProbs(model, input, mask, 3).sum().getFloat();
        w.set(at, orig);
        float numeric = (plus - minus) / (2 * eps);
        assertThat(analytic).as(name).isCloseTo(numeric,
            org.assertj.core.data.Offset.offset(0.02f * Math.max(1f, Math.abs(numeric))));
        assertThat(Math.abs(analytic)).as(name + " gradient is not trivially zero").isGreaterThan(1e-4f);
      }
    }
  }
}
