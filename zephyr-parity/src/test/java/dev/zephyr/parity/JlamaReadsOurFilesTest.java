package dev.zephyr.parity;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.github.tjake.jlama.safetensors.SafeTensorSupport;
import com.github.tjake.jlama.safetensors.WeightLoader;
import com.github.tjake.jlama.tensor.AbstractTensor;
import dev.zephyr.core.model.ModelConfig;
import dev.zephyr.core.model.ModelType;
import dev.zephyr.core.model.safetensors.Dtype;
import dev.zephyr.core.model.safetensors.Safetensors;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * Jlama's safetensors reader, an independent implementation, sees exactly the values zephyr's reader sees in files
 * zephyr writes: F32, BF16 and F16, sharded through {@code model.safetensors.index.json}.
 */
class JlamaReadsOurFilesTest {
  @TempDir Path tmp;

  @ParameterizedTest
  @EnumSource(value = Dtype.class, names = {"F32", "BF16", "F16"})
  void jlamaReadsOurShardedCheckpointBitExactly(Dtype dtype) throws Exception {
    ModelConfig config = TinyCheckpoints.builder(ModelType.QWEN2, 512, 64, 128, 2, 4, 2).build();
    Path dir = tmp.resolve("model");
    TinyCheckpoints.write(dir, config, 7, 0.25, dtype);
    // Re-shard the same tensors small, so the index path is exercised on both sides.
    try (NDManager manager = NDManager.newBaseManager()) {
      Map<String, NDArray> ours = Safetensors.load(dir, manager);
      Safetensors.saveSharded(dir, ours, dtype, 40_000);
      assertThat(Files.exists(dir.resolve(Safetensors.INDEX_FILE))).isTrue();
      assertThat(Safetensors.checkpointFiles(dir).size()).isGreaterThan(2);

      Map<String, NDArray> reloaded = Safetensors.load(dir, manager);
      try (WeightLoader jlama = SafeTensorSupport.loadWeights(dir.toFile())) {
        assertThat(jlama.tensorInfoMap().keySet()).containsExactlyInAnyOrderElementsOf(reloaded.keySet());
        int compared = 0;
        for (Map.Entry<String, NDArray> e : reloaded.entrySet()) {
          AbstractTensor theirs = jlama.load(e.getKey());
          assertThat(jlama.tensorInfoMap().get(e.getKey()).dType.name()).isEqualTo(dtype.name());
          float[] mine = e.getValue().toFloatArray();
          long[] shape = e.getValue().getShape().getShape();
          int columns = (int) shape[shape.length - 1];
          boolean theirsIs2d = theirs.shape().dims() == 2; // Jlama holds vectors as [1, n]
          for (int i = 0; i < mine.length; i++) {
            float value = theirsIs2d ? theirs.get(i / columns, i % columns) : theirs.get(i);
            if (Float.floatToIntBits(value) != Float.floatToIntBits(mine[i])) {
              assertThat(value).as("%s[%d] (%s)", e.getKey(), i, dtype).isEqualTo(mine[i]);
            }
            compared++;
          }
        }
        assertThat(compared).isGreaterThan(100_000);
      }
    }
  }
}
