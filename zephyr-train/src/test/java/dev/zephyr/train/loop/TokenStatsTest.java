package dev.zephyr.train.loop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import dev.zephyr.core.model.LlamaModel;
import dev.zephyr.train.TinyModels;
import dev.zephyr.train.sft.SftSequence;
import dev.zephyr.train.sft.SftTask;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** SFT's mean_token_accuracy and entropy, and NEFTune's noise: values, bounds, and where they apply. */
class TokenStatsTest {
  static final int VOCAB = 23;

  @Test
  void metricsAverageOverLabelTokensOnly() {
    // 4 positions, the third is not a label: accuracy (1 + 0 + 1) / 3, entropy (0.5 + 1 + 3) / 3
    SftTask.Batch b = new SftTask.Batch(null, new float[] {1, 1, 0, 1}, 3);
    Map<String, Double> m = SftTask.tokenMetrics(new float[] {1, 0, 1, 1}, new float[] {0.5f, 1, 2, 3}, b);
    assertThat(m.get("mean_token_accuracy")).isCloseTo(2.0 / 3, within(1e-12));
    assertThat(m.get("entropy")).isCloseTo(1.5, within(1e-6));
  }

  @Test
  void fusedHeadStatsEqualThoseOfTheFullLogits() {
    try (NDManager m = NDManager.newBaseManager(); LlamaModel model = TinyModels.random(m, VOCAB, 3);
        NDScope s = new NDScope()) {
      s.suppressNotUsedWarning();
      PaddedRows rows = PaddedRows.of(List.of(new int[] {1, 5, 9, 4, 4, 7}, new int[] {1, 8, 3, 2, 6, 11}));
      DecoderGraph decoder = DecoderGraph.forward(model, rows, false);
      // chunk 4: positions of both rows are spread over several chunks
      FusedHead head = FusedHead.forward(model, decoder.hidden(), decoder.ids(), 4, false, true);
      float[] logits = model.head(decoder.hidden()).toFloatArray(); // [2, 6, V]
      int t = rows.length();
      int hits = 0;
      for (int r = 0; r < 2; r++) {
        for (int i = 0; i < t - 1; i++) {
          int at = (r * t + i) * VOCAB;
          double max = Double.NEGATIVE_INFINITY;
          int argmax = 0;
          for (int v = 0; v < VOCAB; v++) {
            if (logits[at + v] > max) {
              max = logits[at + v];
              argmax = v;
            }
          }
          double z = 0;
          for (int v = 0; v < VOCAB; v++) {
            z += Math.exp(logits[at + v] - max);
          }
          double entropy = 0;
          for (int v = 0; v < VOCAB; v++) {
            double logp = logits[at + v] - max - Math.log(z);
            entropy -= Math.exp(logp) * logp;
          }
          int k = r * (t - 1) + i;
          long next = rows.ids()[r * t + i + 1];
          assertThat(head.entropy()[k]).as("entropy at %d", k).isCloseTo((float) entropy, within(1e-4f));
          assertThat(head.argmaxHits()[k]).as("hit at %d", k).isEqualTo(argmax == next ? 1f : 0f);
          hits += argmax == next ? 1 : 0;
          assertThat(entropy).isBetween(0.0, Math.log(VOCAB) + 1e-9);
        }
      }
      assertThat(head.meanLogits()).as("not asked for").isNull();
      assertThat(hits).as("the random model predicts some next tokens and misses others").isLessThan(10);
    }
  }

  @Test
  void neftuneNoiseIsBoundedByAlphaOverRootOfLengthTimesHidden() {
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray zeros = m.zeros(new Shape(2, 8, 16));
      float[] a = new DecoderGraph.Neftune(5, new SplittableRandom(1)).add(zeros).toFloatArray();
      float[] again = new DecoderGraph.Neftune(5, new SplittableRandom(1)).add(zeros).toFloatArray();
      double bound = 5 / Math.sqrt(8 * 16);
      double max = 0;
      double sum = 0;
      for (float x : a) {
        max = Math.max(max, Math.abs(x));
        sum += x;
      }
      assertThat(max).isLessThanOrEqualTo(bound).isGreaterThan(0.9 * bound);
      assertThat(Math.abs(sum / a.length)).as("centred").isLessThan(0.15 * bound);
      assertThat(again).as("the step's generator decides the noise").containsExactly(a);
    }
  }

  @Test
  void neftuneChangesTrainingForwardsButNeverEvaluation() {
    try (NDManager m = NDManager.newBaseManager(); LlamaModel model = TinyModels.random(m, VOCAB, 3)) {
      SftTask task = new SftTask(model, 4);
      SftTask.Batch b = task.collate(List.of(SftSequence.of(new int[] {1, 5, 9, 4, 7}, new int[] {0, 1, 1, 1, 1}),
          SftSequence.of(new int[] {1, 8, 3}, new int[] {0, 0, 1})));
      Map<String, NDArray> params = model.parameters();
      try (NDScope s = new NDScope()) {
        s.suppressNotUsedWarning();
        float plain = task.loss(params, b, StepContext.of(0, 0, 0)).lossSum().getFloat();
        float noisy = task.evalLoss(params, b, StepContext.of(0, 0, 0).withNeftune(50)).lossSum().getFloat();
        float eval = task.evalLoss(params, b, StepContext.evaluation(3)).lossSum().getFloat();
        assertThat(StepContext.evaluation(3).neftuneNoiseAlpha()).isZero();
        assertThat(eval).as("evaluation: no noise").isCloseTo(plain, within(1e-4f));
        assertThat(Math.abs(noisy - plain)).as("a training context with alpha 50 adds noise").isGreaterThan(1e-3f);
      }
    }
  }
}
