package dev.zephyr.core.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link LlamaModel#withMatmul}: every projection and the LM head go through the backend, and nothing else changes. */
class MatmulBackendTest {
  /** DJL's linear, recording the weight shape and whether a bias came with each call. */
  static final class Recording implements MatmulBackend {
    final List<String> calls = new ArrayList<>();

    @Override
    public NDArray linear(NDArray x, NDArray weight, NDArray bias) {
      calls.add(weight.getShape() + (bias == null ? "" : "+b"));
      return DJL.linear(x, weight, bias);
    }
  }

  @Test
  void projectionsAndHeadGoThroughTheBackendWithUnchangedLogits() {
    ModelConfig c = LlamaModelTest.tiny(ModelType.QWEN2);
    try (NDManager manager = NDManager.newBaseManager(); LlamaModel model = LlamaModel.random(c, 3, 0.3, manager)) {
      NDArray ids = manager.create(new long[] {1, 5, 9, 12, 2, 4, 6, 8}, new Shape(2, 4));
      Recording backend = new Recording();
      NDArray viaBackend = model.withMatmul(backend).forward(ids, null, null, null);
      NDArray plain = model.forward(ids, null, null, null);
      assertThat(viaBackend.sub(plain).abs().max().getFloat()).isEqualTo(0f);
      // per layer q, k, v (qwen2: with biases), o, gate, up, down; then the tied head [vocab, hidden]
      List<String> layer = List.of("(32, 32)+b", "(16, 32)+b", "(16, 32)+b", "(32, 32)", "(48, 32)", "(48, 32)",
          "(32, 48)");
      List<String> expected = new ArrayList<>(layer);
      expected.addAll(layer);
      expected.add("(97, 32)");
      assertThat(backend.calls).containsExactlyElementsOf(expected);
    }
  }

  @Test
  void theBackendsResultIsWhatTheDecoderUses() {
    try (NDManager manager = NDManager.newBaseManager();
        LlamaModel model = LlamaModel.random(LlamaModelTest.tiny(ModelType.LLAMA), 5, 0.3, manager)) {
      NDArray ids = manager.create(new long[] {3, 1, 4, 1, 5}, new Shape(1, 5));
      // shift only the head's output: logits move by exactly 1, the decoder below is untouched
      MatmulBackend shiftedHead = (x, w, b) -> {
        NDArray y = MatmulBackend.DJL.linear(x, w, b);
        return w.getShape().get(0) == 97 ? y.add(1f) : y;
      };
      NDArray shifted = model.withMatmul(shiftedHead).forward(ids, null, null, null);
      NDArray plain = model.forward(ids, null, null, null);
      assertThat(shifted.sub(plain).sub(1f).abs().max().getFloat()).isLessThan(1e-5f);
    }
  }

  @Test
  void anAdapterViewKeepsTheBackend() {
    try (NDManager manager = NDManager.newBaseManager();
        LlamaModel model = LlamaModel.random(LlamaModelTest.tiny(ModelType.LLAMA), 5, 0.3, manager)) {
      Recording backend = new Recording();
      LinearAdapter none = new LinearAdapter() {
        @Override
        public NDArray delta(String projection, NDArray x) {
          return null;
        }

        @Override
        public NDArray replacement(String name) {
          return null;
        }
      };
      model.withMatmul(backend).withAdapter(none).forward(manager.create(new long[] {7, 8}, new Shape(1, 2)), null, null,
          null);
      assertThat(backend.calls).hasSize(2 * 7 + 1);
    }
  }
}
