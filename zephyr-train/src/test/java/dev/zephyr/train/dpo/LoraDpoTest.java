package dev.zephyr.train.dpo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import dev.zephyr.core.model.LlamaModel;
import dev.zephyr.core.model.lora.LoraAdapter;
import dev.zephyr.core.model.lora.LoraConfig;
import dev.zephyr.train.TinyModels;
import dev.zephyr.train.loop.StepContext;
import dev.zephyr.train.loop.Trainer;
import dev.zephyr.train.loop.TrainingArguments;
import dev.zephyr.train.lora.LoraTraining;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** DPO with LoRA: the reference is the base with adapters off, and only the adapters train. */
class LoraDpoTest {

  static void randomiseB(LoraAdapter lora) {
    SplittableRandom rng = new SplittableRandom(4);
    lora.parameters().forEach((name, a) -> {
      if (name.endsWith(LoraAdapter.B)) {
        float[] v = new float[Math.toIntExact(a.size())];
        for (int i = 0; i < v.length; i++) {
          v[i] = (float) (rng.nextDouble() - 0.5) * 0.5f;
        }
        a.set(v);
      }
    });
  }

  static Map<String, Double> metrics(DpoTask task, List<DpoExample> pairs) {
    try (NDScope s = new NDScope()) {
      s.suppressNotUsedWarning();
      return task.loss(Map.of(), task.collate(pairs), StepContext.of(0, 0, 0)).metrics();
    }
  }

  @Test
  void theAdaptersOffReferenceGivesTheBaseModelsLogProbs() {
    try (NDManager m = NDManager.newBaseManager(); LlamaModel base = TinyModels.random(m, DpoTrainingTest.VOCAB, 3);
        LoraAdapter lora = LoraAdapter.create(base, LoraConfig.of(4, 8), 1, m);
        NDManager copies = m.newSubManager()) {
      randomiseB(lora);
      Map<String, NDArray> copied = new LinkedHashMap<>();
      base.parameters().forEach((k, v) -> {
        NDArray c = v.duplicate();
        c.attach(copies);
        copied.put(k, c);
      });
      LlamaModel separateBase = new LlamaModel(base.config(), copied, null);
      LlamaModel policy = base.withAdapter(lora);
      List<DpoExample> pairs = DpoTrainingTest.pairs(4, 9);
      Map<String, Double> sharedWeights = metrics(new DpoTask(policy, base, DpoLoss.sigmoid(0.1)), pairs);
      Map<String, Double> secondCopy = metrics(new DpoTask(policy, separateBase, DpoLoss.sigmoid(0.1)), pairs);
      assertThat(sharedWeights).isEqualTo(secondCopy);
      // and the adapters matter: against itself the policy has zero margins (up to float rounding: the policy's
      // single-pass log-softmax and the reference's fused head kernel sum the vocabulary in different orders)
      Map<String, Double> self = metrics(new DpoTask(policy, policy, DpoLoss.sigmoid(0.1)), pairs);
      assertThat(self.get("rewards/margins")).isCloseTo(0.0, within(1e-6));
      assertThat(Math.abs(sharedWeights.get("rewards/margins"))).isGreaterThan(1e-4);
    }
  }

  @Test
  void onlyTheAdaptersTrainAndTheBaseStaysBitIdentical(@TempDir Path dir) {
    try (NDManager m = NDManager.newBaseManager(); LlamaModel base = TinyModels.random(m, DpoTrainingTest.VOCAB, 3);
        LoraAdapter lora = LoraAdapter.create(base, LoraConfig.of(4, 8).withDropout(0.1), 1, m)) {
      Map<String, float[]> before = new LinkedHashMap<>();
      base.parameters().forEach((k, v) -> before.put(k, v.toFloatArray()));
      float[] aBefore = lora.parameters().get("model.layers.0.self_attn.q_proj.lora_A.weight").toFloatArray();
      TrainingArguments args = TrainingArguments.builder(dir).learningRate(1e-2).maxSteps(6)
          .perDeviceTrainBatchSize(2).loggingSteps(1).seed(5).build();
      DpoTask task = new DpoTask(base.withAdapter(lora), base, DpoLoss.sigmoid(0.1));
      Trainer.TrainResult r;
      try (Trainer<DpoExample, DpoTask.Batch> t = new Trainer<>(args, LoraTraining.withDropout(task, lora, 5),
          DpoTrainingTest.pairs(12, 2), new LinkedHashMap<>(lora.parameters()))) {
        r = t.train();
      }
      base.parameters().forEach((k, v) -> {
        assertThat(v.toFloatArray()).as(k).containsExactly(before.get(k));
        assertThat(v.hasGradient()).as(k + " has no gradient array").isFalse();
      });
      assertThat(lora.parameters().get("model.layers.1.mlp.down_proj.lora_B.weight").toFloatArray())
          .as("B learned").isNotEqualTo(new float[16 * 4]);
      assertThat(lora.parameters().get("model.layers.0.self_attn.q_proj.lora_A.weight").toFloatArray())
          .isNotEqualTo(aBefore);
      assertThat(r.lastLogged().get("rewards/accuracies")).isNotNull();
    }
  }
}
