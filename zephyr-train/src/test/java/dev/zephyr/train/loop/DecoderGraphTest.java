package dev.zephyr.train.loop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.zephyr.core.model.LlamaModel;
import dev.zephyr.train.TinyModels;
import dev.zephyr.train.dpo.DpoExample;
import dev.zephyr.train.dpo.DpoLoss;
import dev.zephyr.train.dpo.DpoLossType;
import dev.zephyr.train.dpo.DpoTask;
import dev.zephyr.train.dpo.ReferenceLogps;
import dev.zephyr.train.reward.BradleyTerryLoss;
import dev.zephyr.train.reward.RewardModel;
import dev.zephyr.train.reward.RewardTask;
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
 * Gradient checkpointing ({@link DecoderGraph} with checkpointing on) gives every task the loss, metrics and gradients
 * of the plain graph, over two accumulated micro-batches, tied and untied heads.
 */
class DecoderGraphTest {

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void sft(boolean tied) {
    try (NDManager m = NDManager.newBaseManager(); LlamaModel model = FusedHeadTest.model(m, tied, 5)) {
      Random r = new Random(11);
      List<SftSequence> rows = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        int[] ids = FusedHeadTest.tokens(r, 4 + r.nextInt(6));
        int[] mask = new int[ids.length];
        java.util.Arrays.fill(mask, ids.length / 2, ids.length, 1);
        rows.add(SftSequence.of(ids, mask));
      }
      SftTask task = new SftTask(model, FusedHeadTest.CHUNK);
      assertCheckpointingChangesNothing(task, model.parameters(),
          List.of(task.collate(rows.subList(0, 2)), task.collate(rows.subList(2, 5))));
    }
  }

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void dpoCachedReferenceSplitIntoForwards(boolean tied) {
    try (NDManager m = NDManager.newBaseManager(); LlamaModel policy = FusedHeadTest.model(m, tied, 1);
        LlamaModel ref = FusedHeadTest.model(m, tied, 2)) {
      List<DpoExample> cached = ReferenceLogps.compute(ref, FusedHeadTest.pairs(5, 7), 2);
      DpoTask task = new DpoTask(policy, null, new DpoLoss(0.5, 0, List.of(DpoLossType.SIGMOID, DpoLossType.SFT),
          List.of(1.0, 0.3)), FusedHeadTest.CHUNK);
      assertCheckpointingChangesNothing(task, policy.parameters(),
          List.of(task.collate(cached.subList(0, 3)), task.collate(cached.subList(3, 5))));
    }
  }

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void rewardModel(boolean centered) {
    try (NDManager m = NDManager.newBaseManager()) {
      RewardModel rm = RewardModel.withNewHead(TinyModels.random(m, FusedHeadTest.VOCAB, 4), 0.5, 1);
      Random r = new Random(9);
      List<RewardTask.Pair> pairs = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        pairs.add(new RewardTask.Pair(FusedHeadTest.tokens(r, 3 + i), FusedHeadTest.tokens(r, 2 + r.nextInt(4)),
            0.25 * i));
      }
      RewardTask task = new RewardTask(rm, new BradleyTerryLoss(centered ? 0.3 : 0));
      assertCheckpointingChangesNothing(task, rm.parameters(),
          List.of(task.collate(pairs.subList(0, 2)), task.collate(pairs.subList(2, 5))));
    }
  }

  /** With checkpointing the loss's own backward stops at the last layer; the layers get gradients from backward(). */
  @org.junit.jupiter.api.Test
  void layersAreRecomputedInBackward() {
    try (NDManager m = NDManager.newBaseManager(); LlamaModel model = FusedHeadTest.model(m, false, 3);
        ai.djl.ndarray.NDScope s = new ai.djl.ndarray.NDScope();
        ai.djl.training.GradientCollector gc = ai.djl.engine.Engine.getInstance().newGradientCollector()) {
      s.suppressNotUsedWarning();
      model.parameters().values().forEach(p -> p.setRequiresGradient(true));
      NDArray ids = m.create(new long[] {1, 5, 7, 2, 9, 4}, new ai.djl.ndarray.types.Shape(2, 3));
      DecoderGraph graph = DecoderGraph.forward(model, ids, null, CausalLm.attentionBias(m, new int[2][3]), true);
      gc.backward(graph.hidden().square().sum());
      NDArray q = model.parameters().get("model.layers.0.self_attn.q_proj.weight");
      NDArray norm = model.parameters().get("model.norm.weight");
      assertThat(norm.getGradient().abs().sum().getFloat()).as("final norm in the loss graph").isPositive();
      assertThat(q.getGradient().abs().sum().getFloat()).as("layer 0 before backward()").isZero();
      graph.backward(gc);
      assertThat(q.getGradient().abs().sum().getFloat()).as("layer 0 after backward()").isPositive();
      model.parameters().values().forEach(p -> ai.djl.pytorch.jni.JniUtils.zeroGrad((ai.djl.pytorch.engine.PtNDArray) p));
    }
  }

  /** The trainer hands TrainingArguments.gradient_checkpointing to the task through the step context. */
  @org.junit.jupiter.api.Test
  void theTrainerPassesTheFlagToTheTask(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
    try (NDManager m = NDManager.newBaseManager(); LlamaModel model = FusedHeadTest.model(m, false, 4)) {
      Random r = new Random(1);
      List<SftSequence> rows = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        int[] ids = FusedHeadTest.tokens(r, 6);
        int[] mask = new int[6];
        java.util.Arrays.fill(mask, 1);
        rows.add(SftSequence.of(ids, mask));
      }
      SftTask sft = new SftTask(model, FusedHeadTest.CHUNK);
      List<Boolean> seen = new ArrayList<>();
      TrainingTask<SftSequence, SftTask.Batch> spy = new TrainingTask<>() {
        public SftTask.Batch collate(List<SftSequence> e) { return sft.collate(e); }
        public long lossUnits(SftTask.Batch b) { return sft.lossUnits(b); }
        public long tokens(SftTask.Batch b) { return sft.tokens(b); }
        public LossOutput loss(Map<String, NDArray> p, SftTask.Batch b, StepContext c) { return sft.loss(p, b, c); }
        public ScaledLoss lossAndBackward(Map<String, NDArray> p, SftTask.Batch b, StepContext c, long u,
            ai.djl.training.GradientCollector gc) {
          seen.add(c.gradientCheckpointing());
          return sft.lossAndBackward(p, b, c, u, gc);
        }
      };
      TrainingArguments args = TrainingArguments.builder(dir).maxSteps(2).perDeviceTrainBatchSize(2).saveSteps(0)
          .disableTqdm(true).gradientCheckpointing(true).build();
      try (Trainer<SftSequence, SftTask.Batch> t = new Trainer<>(args, spy, rows, new LinkedHashMap<>(model.parameters()))) {
        t.train();
      }
      assertThat(seen).containsExactly(true, true);
    }
  }

  private static <B> void assertCheckpointingChangesNothing(TrainingTask<?, B> task, Map<String, NDArray> parameters,
      List<B> micro) {
    Map<String, NDArray> params = new LinkedHashMap<>(parameters);
    params.values().forEach(p -> p.setRequiresGradient(true));
    long units = micro.stream().mapToLong(task::lossUnits).sum();
    List<Map<String, Double>> plainMetrics = new ArrayList<>();
    List<Map<String, Double>> checkpointedMetrics = new ArrayList<>();
    FusedHeadTest.Grads plain = FusedHeadTest.gradients(params, micro, units, (b, u, gc) -> {
      TrainingTask.ScaledLoss out = task.lossAndBackward(params, b, StepContext.of(0, 0, 0), u, gc);
      plainMetrics.add(out.metrics());
      return out.value();
    });
    FusedHeadTest.Grads checkpointed = FusedHeadTest.gradients(params, micro, units, (b, u, gc) -> {
      TrainingTask.ScaledLoss out = task.lossAndBackward(params, b,
          StepContext.of(0, 0, 0).withGradientCheckpointing(true), u, gc);
      checkpointedMetrics.add(out.metrics());
      return out.value();
    });
    assertThat(checkpointed.loss()).isCloseTo(plain.loss(), within(1e-6 * Math.max(1, Math.abs(plain.loss()))));
    assertThat(checkpointedMetrics).isEqualTo(plainMetrics);
    FusedHeadTest.assertSameGradients(plain, checkpointed, "checkpointed - plain");
  }
}
