package dev.zephyr.parity;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import com.github.tjake.jlama.model.AbstractModel;
import com.github.tjake.jlama.model.ModelSupport;
import com.github.tjake.jlama.safetensors.DType;
import com.github.tjake.jlama.tensor.AbstractTensor;
import com.github.tjake.jlama.tensor.KvBufferCache;
import dev.zephyr.core.model.LlamaModel;
import dev.zephyr.core.model.LogProbs;
import dev.zephyr.core.model.ModelConfig;
import java.nio.file.Path;
import java.util.SplittableRandom;
import dev.zephyr.core.model.ModelType;
import dev.zephyr.core.model.safetensors.Dtype;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * A checkpoint zephyr writes itself gives the same per-position log-probabilities in zephyr's decoder and in Jlama
 * 0.8.4, an independent Java implementation of the Hugging Face Llama forward pass.
 */
class JlamaParityTest {
  private static final double TOLERANCE = 1e-4;

  @TempDir Path tmp;

  /**
   * The architectures checked. Jlama ignores sliding windows, so none is set; and Jlama computes BF16 weights in
   * reduced precision (max |diff| 0.14 measured), so BF16 storage is checked bit-exactly by {@link JlamaReadsOurFilesTest}.
   */
  static Stream<Arguments> checkpoints() {
    return Stream.of(
        Arguments.of("llama GQA 4/2, untied, F32",
            TinyCheckpoints.llama(32000, 64, 128, 2, 4, 2), Dtype.F32),
        Arguments.of("qwen2 q/k/v biases, tied, rope_theta 1e6, F32",
            TinyCheckpoints.builder(ModelType.QWEN2, 32000, 64, 128, 2, 4, 2).tieWordEmbeddings(true)
                .ropeTheta(1e6).build(), Dtype.F32),
        Arguments.of("mistral one KV head, F32",
            TinyCheckpoints.builder(ModelType.MISTRAL, 32000, 64, 128, 2, 4, 1).build(), Dtype.F32));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("checkpoints")
  void logProbsMatchJlama(String label, ModelConfig config, Dtype dtype) throws Exception {
    Path dir = tmp.resolve("tiny");
    // std 0.25 (like the testdata fixtures) so the distributions are far from uniform and a mismatch would show.
    TinyCheckpoints.write(dir, config, 42, 0.25, dtype);
    int[] ids = randomIds(new SplittableRandom(3), 24, config.vocabSize());

    float[][] ours;
    try (NDManager manager = NDManager.newBaseManager(); LlamaModel model = LlamaModel.load(dir, manager)) {
      ours = LogProbs.rows(model, ids, manager);
    }
    float[][] theirs = jlamaLogProbs(dir, ids);

    assertThat(theirs).hasNumberOfRows(ids.length);
    double maxDiff = 0;
    int argmaxAgree = 0;
    for (int t = 0; t < ids.length; t++) {
      assertThat(theirs[t]).hasSize(config.vocabSize());
      for (int v = 0; v < config.vocabSize(); v++) {
        maxDiff = Math.max(maxDiff, Math.abs(ours[t][v] - theirs[t][v]));
      }
      argmaxAgree += argmax(ours[t]) == argmax(theirs[t]) ? 1 : 0;
      // The comparison only means something if the model is far from uniform (log 32000 = 10.37).
      assertThat(max(ours[t]) - min(ours[t])).as("spread of row %d", t).isGreaterThan(5);
    }
    System.out.printf("zephyr vs Jlama [%s]: max |log-prob diff| = %.3g over %d positions x %d tokens; "
        + "argmax agrees %d/%d%n", label, maxDiff, ids.length, config.vocabSize(), argmaxAgree, ids.length);
    assertThat(maxDiff).isLessThan(TOLERANCE);
    assertThat(argmaxAgree).isEqualTo(ids.length);
  }

  /** log of Jlama's next-token probabilities at every position ({@code getLogits} returns softmax output). */
  static float[][] jlamaLogProbs(Path dir, int[] ids) {
    AbstractModel model = ModelSupport.loadModel(dir.toFile(), DType.F32, DType.F32);
    try (KvBufferCache cache = new KvBufferCache(model);
        KvBufferCache.KvBuffer kv = cache.getEphemeralKvBuffer();
        AbstractTensor out = model.batchForward(ids, 0, kv)) {
      float[][] rows = new float[ids.length][];
      for (int t = 0; t < ids.length; t++) {
        float[] probs = model.getLogits(out.slice(t));
        rows[t] = new float[probs.length];
        for (int v = 0; v < probs.length; v++) {
          rows[t][v] = (float) Math.log(probs[v]);
        }
      }
      return rows;
    } finally {
      model.close();
    }
  }

  static int[] randomIds(SplittableRandom random, int length, int vocab) {
    int[] ids = new int[length];
    ids[0] = 1; // BOS
    for (int i = 1; i < length; i++) {
      ids[i] = random.nextInt(3, vocab);
    }
    return ids;
  }

  private static int argmax(float[] row) {
    int best = 0;
    for (int i = 1; i < row.length; i++) {
      if (row[i] > row[best]) {
        best = i;
      }
    }
    return best;
  }

  private static float max(float[] row) {
    return row[argmax(row)];
  }

  private static float min(float[] row) {
    float m = row[0];
    for (float f : row) {
      m = Math.min(m, f);
    }
    return m;
  }
}
