package dev.zephyr.train.loop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import dev.zephyr.core.model.LlamaModel;
import dev.zephyr.core.model.ModelConfig;
import dev.zephyr.train.TinyModels;
import dev.zephyr.train.dpo.DpoExample;
import dev.zephyr.train.dpo.DpoLoss;
import dev.zephyr.train.dpo.DpoLossType;
import dev.zephyr.train.dpo.DpoTask;
import dev.zephyr.train.dpo.ReferenceLogps;
import dev.zephyr.train.sft.SftSequence;
import dev.zephyr.train.sft.SftTask;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The two-pass head ({@link FusedHead}, used by the tasks' {@code lossAndBackward}) gives the same loss and the same
 * gradient on every parameter as the single-pass graph ({@code loss} then one backward), over two accumulated
 * micro-batches, with tied and untied LM heads.
 */
class FusedHeadTest {
  static final int VOCAB = 24;
  /** Tokens per vocabulary chunk: small and not a divisor of the token counts, so chunks cross rows. */
  static final int CHUNK = 5;

  static LlamaModel model(NDManager m, boolean tied, long seed) {
    ModelConfig c = TinyModels.config(VOCAB).toBuilder().tieWordEmbeddings(tied).build();
    return LlamaModel.random(c, seed, 0.2, m);
  }

  static List<DpoExample> pairs(int n, long seed) {
    Random r = new Random(seed);
    List<DpoExample> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(DpoExample.of(tokens(r, 2 + r.nextInt(3)), tokens(r, 1 + r.nextInt(4)), tokens(r, 1 + r.nextInt(4))));
    }
    return out;
  }

  static int[] tokens(Random r, int n) {
    int[] t = new int[n];
    for (int k = 0; k < n; k++) {
      t[k] = r.nextInt(VOCAB);
    }
    return t;
  }

  /** Gradients of both paths over the same micro-batches, and the summed scaled losses. */
  record Grads(Map<String, float[]> grads, double loss) {}

  interface Path<B> {
    double run(B batch, long units, GradientCollector gc);
  }

  static <B> Grads gradients(Map<String, NDArray> params, List<B> micro, long units, Path<B> path) {
    double loss = 0;
    Map<String, float[]> out = new LinkedHashMap<>();
    try (NDScope s = new NDScope()) {
      s.suppressNotUsedWarning();
      try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
        for (B b : micro) {
          loss += path.run(b, units, gc);
        }
      }
      params.forEach((k, v) -> out.put(k, v.getGradient().toFloatArray()));
      params.values().forEach(p -> JniUtils.zeroGrad((PtNDArray) p));
    }
    return new Grads(out, loss);
  }

  static <E, B> void assertSameGradients(TrainingTask<E, B> task, Map<String, NDArray> params, List<B> micro) {
    assertSameGradients(task, task, params, micro);
  }

  /** {@code plain}'s single-pass loss and backward against {@code fused}'s {@code lossAndBackward}. */
  static <E, B> void assertSameGradients(TrainingTask<E, B> plain, TrainingTask<E, B> fusedTask,
      Map<String, NDArray> params, List<B> micro) {
    TrainingTask<E, B> task = plain;
    params.values().forEach(p -> p.setRequiresGradient(true));
    long units = micro.stream().mapToLong(task::lossUnits).sum();
    StepContext ctx = StepContext.of(0, 0, 0);
    Grads single = gradients(params, micro, units, (b, u, gc) -> {
      NDArray scaled = task.loss(params, b, ctx).lossSum().div(u);
      gc.backward(scaled);
      return scaled.getFloat();
    });
    Grads fused = gradients(params, micro, units,
        (b, u, gc) -> fusedTask.lossAndBackward(params, b, ctx, u, gc).value());
    assertThat(fused.loss()).isCloseTo(single.loss(), within(1e-5 * Math.max(1, Math.abs(single.loss()))));
    assertSameGradients(single, fused, "fused - single");
  }

  /** Every gradient of {@code actual} within 1e-5 (relative to the largest, when above 1) of {@code expected}. */
  static void assertSameGradients(Grads expected, Grads actual, String what) {
    for (String name : expected.grads().keySet()) {
      float[] a = expected.grads().get(name);
      float[] f = actual.grads().get(name);
      double scale = 0;
      double diff = 0;
      for (int i = 0; i < a.length; i++) {
        scale = Math.max(scale, Math.abs(a[i]));
        diff = Math.max(diff, Math.abs(a[i] - f[i]));
      }
      assertThat(scale).as("gradient of %s is non-trivial", name).isGreaterThan(1e-6);
      assertThat(diff).as("max |%s| of d loss / d %s (max |grad| %.3g)", what, name, scale)
          .isLessThanOrEqualTo(1e-5 * Math.max(1, scale));
    }
  }

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void dpoWithCachedReferenceMatchesSinglePass(boolean tied) {
    try (NDManager m = NDManager.newBaseManager(); LlamaModel policy = model(m, tied, 1);
        LlamaModel ref = model(m, tied, 2)) {
      List<DpoExample> cached = ReferenceLogps.compute(ref, pairs(5, 7), 2);
      DpoTask task = new DpoTask(policy, null, DpoLoss.sigmoid(0.5), CHUNK);
      assertSameGradients(task, new LinkedHashMap<>(policy.parameters()),
          List.of(task.collate(cached.subList(0, 3)), task.collate(cached.subList(3, 5))));
    }
  }

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void dpoWithLiveReferenceAndRpoTermMatchesSinglePass(boolean tied) {
    try (NDManager m = NDManager.newBaseManager(); LlamaModel policy = model(m, tied, 3);
        LlamaModel ref = model(m, tied, 4)) {
      DpoTask task = new DpoTask(policy, ref, new DpoLoss(0.5, 0, List.of(DpoLossType.SIGMOID, DpoLossType.SFT),
          List.of(1.0, 0.3)), CHUNK);
      List<DpoExample> p = pairs(4, 9);
      assertSameGradients(task, new LinkedHashMap<>(policy.parameters()),
          List.of(task.collate(p.subList(0, 2)), task.collate(p.subList(2, 4))));
    }
  }

  /**
   * A micro-batch run as several forwards of fewer pairs gives the loss, gradients and metrics of one forward over
   * all its pairs, the RPO ({@code sft}) term included, whose normaliser is the whole micro-batch's chosen tokens.
   */
  @ParameterizedTest
  @ValueSource(ints = {1, 2})
  void dpoSplitIntoForwardsOfFewerPairsMatchesOneForward(int pairsPerForward) {
    try (NDManager m = NDManager.newBaseManager(); LlamaModel policy = model(m, pairsPerForward == 1, 1);
        LlamaModel ref = model(m, false, 2)) {
      DpoLoss rpo = new DpoLoss(0.5, 0, List.of(DpoLossType.SIGMOID, DpoLossType.SFT), List.of(1.0, 0.3));
      List<DpoExample> cached = ReferenceLogps.compute(ref, pairs(5, 7), 2);
      assertSplitMatchesWhole(new DpoTask(policy, null, rpo, CHUNK, 100),
          new DpoTask(policy, null, rpo, CHUNK, pairsPerForward), policy, cached);
      assertSplitMatchesWhole(new DpoTask(policy, ref, rpo, CHUNK, 100),
          new DpoTask(policy, ref, rpo, CHUNK, pairsPerForward), policy, pairs(5, 9));
    }
  }

  private static void assertSplitMatchesWhole(DpoTask whole, DpoTask split, LlamaModel policy,
      List<DpoExample> examples) {
    Map<String, NDArray> params = new LinkedHashMap<>(policy.parameters());
    params.values().forEach(p -> p.setRequiresGradient(true));
    List<DpoTask.Batch> wholeBatches = List.of(whole.collate(examples.subList(0, 3)),
        whole.collate(examples.subList(3, 5)));
    List<DpoTask.Batch> splitBatches = List.of(split.collate(examples.subList(0, 3)),
        split.collate(examples.subList(3, 5)));
    int perForward = split.pairsPerForward(3);
    assertThat(wholeBatches.get(0).forwards()).hasSize(1);
    assertThat(splitBatches.get(0).forwards()).hasSize((3 + perForward - 1) / perForward);
    assertThat(splitBatches.get(0).tokens()).isEqualTo(wholeBatches.get(0).tokens());
    StepContext ctx = StepContext.of(0, 0, 0);
    List<Map<String, Double>> wholeMetrics = new ArrayList<>();
    List<Map<String, Double>> splitMetrics = new ArrayList<>();
    Grads one = gradients(params, wholeBatches, 5, (b, u, gc) -> {
      TrainingTask.ScaledLoss out = whole.lossAndBackward(params, b, ctx, u, gc);
      wholeMetrics.add(out.metrics());
      return out.value();
    });
    Grads parts = gradients(params, splitBatches, 5, (b, u, gc) -> {
      TrainingTask.ScaledLoss out = split.lossAndBackward(params, b, ctx, u, gc);
      splitMetrics.add(out.metrics());
      return out.value();
    });
    assertThat(parts.loss()).isCloseTo(one.loss(), within(1e-5 * Math.max(1, Math.abs(one.loss()))));
    for (int i = 0; i < 2; i++) {
      assertThat(splitMetrics.get(i).keySet()).containsExactlyElementsOf(wholeMetrics.get(i).keySet());
      for (String k : wholeMetrics.get(i).keySet()) {
        assertThat(splitMetrics.get(i).get(k)).as(k).isCloseTo(wholeMetrics.get(i).get(k), within(1e-4));
      }
    }
    assertSameGradients(one, parts, "split - whole");
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 2, 5})
  void byDefaultACachedReferenceRunSplitsTheMicroBatchInTwoAndALiveOneDoesNot(int pairs) {
    try (NDManager m = NDManager.newBaseManager(); LlamaModel policy = model(m, false, 1);
        LlamaModel ref = model(m, false, 2)) {
      List<DpoExample> cached = ReferenceLogps.compute(ref, pairs(pairs, 7), 2);
      DpoTask.Batch b = new DpoTask(policy, null, DpoLoss.sigmoid(0.1)).collate(cached);
      List<Integer> sizes = b.forwards().stream().map(DpoTask.Forward::pairs).toList();
      assertThat(sizes).isEqualTo(switch (pairs) {
        case 1 -> List.of(1);
        case 2 -> List.of(1, 1);
        default -> List.of(3, 2);
      });
      assertThat(new DpoTask(policy, ref, DpoLoss.sigmoid(0.1)).collate(cached).forwards()).hasSize(1);
    }
  }

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void sftMatchesSinglePass(boolean tied) {
    try (NDManager m = NDManager.newBaseManager(); LlamaModel model = model(m, tied, 5)) {
      Random r = new Random(11);
      List<SftSequence> rows = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        int[] ids = tokens(r, 4 + r.nextInt(6));
        int[] mask = new int[ids.length];
        for (int k = ids.length / 2; k < ids.length; k++) {
          mask[k] = 1;
        }
        rows.add(SftSequence.of(ids, mask));
      }
      SftTask task = new SftTask(model, CHUNK);
      assertSameGradients(task, new LinkedHashMap<>(model.parameters()),
          List.of(task.collate(rows.subList(0, 2)), task.collate(rows.subList(2, 5))));
    }
  }

  /**
   * With SmolLM2's vocabulary a piece of the head's passes is 128 positions, fewer than a chunk: the pieces (the
   * first micro-batch has 208 positions, so two of them), the head weight's gradient added piece by piece, and the
   * tied embedding's deferred part still give the single-pass loss and gradients.
   */
  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void sftWithTheHeadCutIntoPiecesSmallerThanAChunkMatchesSinglePass(boolean tied) {
    int vocab = 49152;
    assertThat(FusedHead.rowsPerPiece(512, vocab)).isEqualTo(128);
    assertThat(FusedHead.rowsPerPiece(16, vocab)).isEqualTo(16);
    assertThat(FusedHead.rowsPerPiece(512, 1L << 22)).isEqualTo(1);
    ModelConfig c = TinyModels.config(vocab).toBuilder().tieWordEmbeddings(tied).build();
    try (NDManager m = NDManager.newBaseManager(); LlamaModel model = LlamaModel.random(c, 5, 0.2, m)) {
      Random r = new Random(3);
      List<SftSequence> rows = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        int[] ids = new int[100 + 10 * i];
        for (int k = 0; k < ids.length; k++) {
          ids[k] = r.nextInt(vocab);
        }
        int[] mask = new int[ids.length];
        java.util.Arrays.fill(mask, ids.length / 3, ids.length, 1);
        rows.add(SftSequence.of(ids, mask));
      }
      SftTask task = new SftTask(model, 100);
      assertSameGradients(task, new LinkedHashMap<>(model.parameters()),
          List.of(task.collate(rows.subList(0, 2)), task.collate(rows.subList(2, 3))));
    }
  }

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void noGradLogProbsEqualTheGraphPath(boolean tied) {
    try (NDManager m = NDManager.newBaseManager(); LlamaModel model = model(m, tied, 6);
        NDScope s = new NDScope()) {
      s.suppressNotUsedWarning();
      long[] raw = new long[3 * 7];
      Random r = new Random(2);
      for (int i = 0; i < raw.length; i++) {
        raw[i] = r.nextInt(VOCAB);
      }
      NDArray ids = m.create(raw, new ai.djl.ndarray.types.Shape(3, 7));
      NDArray hidden = model.hidden(ids, null, CausalLm.attentionBias(m, new int[3][7]));
      float[] plain = CausalLm.nextTokenLogProbs(model, hidden, ids, 7).toFloatArray();
      float[] chunked = FusedHead.nextTokenLogProbsNoGrad(model, hidden, ids, 4).toFloatArray();
      assertThat(chunked).hasSize(3 * 6);
      for (int i = 0; i < plain.length; i++) {
        assertThat(chunked[i]).isCloseTo(plain[i], within(1e-5f));
        assertThat(plain[i]).isNegative();
      }
    }
  }
}
