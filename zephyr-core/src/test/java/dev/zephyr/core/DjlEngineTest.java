package dev.zephyr.core;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.junit.jupiter.api.Test;

/** The bundled CPU libtorch loads offline and computes. */
class DjlEngineTest {
  @Test
  void pytorchEngineLoadsOfflineAndMultiplies() {
    assertThat(Engine.getInstance().getEngineName()).isEqualTo("PyTorch");
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray a = m.create(new float[] {1, 2, 3, 4}, new ai.djl.ndarray.types.Shape(2, 2));
      float[] c = a.matMul(a).toFloatArray();
      assertThat(c).containsExactly(7, 10, 15, 22);
    }
  }
}
