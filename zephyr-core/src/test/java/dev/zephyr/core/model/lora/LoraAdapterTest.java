package dev.zephyr.core.model.lora;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.zephyr.core.model.LlamaModel;
import dev.zephyr.core.model.ModelConfig;
import dev.zephyr.core.model.ModelType;
import dev.zephyr.core.testing.TorchThreads;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** LoRA math: PEFT's initialisation, the adapted forward against hand-merged weights, gradients, dropout. */
class LoraAdapterTest {
  static NDManager manager;
  static int threads;

  @BeforeAll
  static void open() {
    threads = TorchThreads.useOne();
    manager = NDManager.newBaseManager();
  }

  @AfterAll
  static void close() {
    manager.close();
    TorchThreads.restore(threads);
  }

  static ModelConfig tiny() {
    return ModelConfig.builder().modelType(ModelType.QWEN2).vocabSize(61).hiddenSize(16).numAttentionHeads(4)
        .numKeyValueHeads(2).intermediateSize(24).numHiddenLayers(2).build();
  }

  static NDArray ids(NDManager m) {
    return m.create(new long[] {1, 5, 9, 12, 40, 3, 7, 22}, new Shape(1, 8));
  }

  /** Gives every B factor (zero after initialisation) seeded values, so that the adapters change the output. */
  static void randomiseB(LoraAdapter adapter, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    adapter.parameters().forEach((name, a) -> {
      if (name.endsWith(LoraAdapter.B)) {
        float[] v = new float[Math.toIntExact(a.size())];
        for (int i = 0; i < v.length; i++) {
          v[i] = (float) (rng.nextDouble() - 0.5) * 0.4f;
        }
        a.set(v);
      }
    });
  }

  /** W + s·B·A computed element by element in double. */
  static float[] handMerge(float[] w, float[] b, float[] a, int out, int in, int r, double s) {
    float[] m = new float[out * in];
    for (int o = 0; o < out; o++) {
      for (int i = 0; i < in; i++) {
        double sum = 0;
        for (int k = 0; k < r; k++) {
          sum += (double) b[o * r + k] * a[k * in + i];
        }
        m[o * in + i] = (float) (w[o * in + i] + s * sum);
      }
    }
    return m;
  }

  static float maxAbsDiff(float[] x, float[] y) {
    float d = 0;
    for (int i = 0; i < x.length; i++) {
      d = Math.max(d, Math.abs(x[i] - y[i]));
    }
    return d;
  }

  @Test
  void initialisationIsPeftsKaimingUniformForAAndZerosForB() {
    try (LlamaModel base = LlamaModel.random(tiny(), 1, 0.3, manager);
        LoraAdapter lora = LoraAdapter.create(base, LoraConfig.of(4, 8), 3, manager)) {
      assertThat(lora.parameters()).hasSize(2 * 7 * 2);
      NDArray a = lora.parameters().get("model.layers.1.mlp.down_proj.lora_A.weight");
      assertThat(a.getShape()).isEqualTo(new Shape(4, 24));
      float[] av = a.toFloatArray();
      double bound = 1 / Math.sqrt(24);
      double max = 0;
      for (float v : av) {
        max = Math.max(max, Math.abs(v));
      }
      assertThat(max).isLessThanOrEqualTo(bound).isGreaterThan(0.7 * bound);
      NDArray b = lora.parameters().get("model.layers.1.mlp.down_proj.lora_B.weight");
      assertThat(b.getShape()).isEqualTo(new Shape(16, 4));
      assertThat(b.toFloatArray()).containsOnly(0f);
      // B = 0: the adapted model starts as the base
      try (NDScope s = new NDScope()) {
        s.suppressNotUsedWarning();
        NDArray x = ids(manager);
        float[] plain = base.forward(x, null, null, null).toFloatArray();
        float[] adapted = base.withAdapter(lora).forward(x, null, null, null).toFloatArray();
        assertThat(adapted).containsExactly(plain);
      }
      assertThat(LoraConfig.of(4, 8).scaling()).isEqualTo(2.0);
      assertThat(LoraConfig.of(4, 8).withRslora(true).scaling()).isEqualTo(4.0);
    }
  }

  @Test
  void adaptedForwardEqualsHandMergedWeightsAtEveryTargetModule() {
    LoraConfig config = LoraConfig.of(3, 6).withRslora(true);
    try (LlamaModel base = LlamaModel.random(tiny(), 2, 0.3, manager);
        LoraAdapter lora = LoraAdapter.create(base, config, 5, manager);
        NDManager m = manager.newSubManager()) {
      randomiseB(lora, 9);
      double s = 6 / Math.sqrt(3);
      Map<String, NDArray> merged = LoraMerge.mergedParameters(base, lora, m);
      int checked = 0;
      for (String projection : LoraLayout.projections(base.config(), config)) {
        NDArray w = base.parameters().get(projection + ".weight");
        int out = (int) w.getShape().get(0);
        int in = (int) w.getShape().get(1);
        float[] expected = handMerge(w.toFloatArray(), lora.parameters().get(projection + LoraAdapter.B).toFloatArray(),
            lora.parameters().get(projection + LoraAdapter.A).toFloatArray(), out, in, 3, s);
        float[] got = merged.get(projection + ".weight").toFloatArray();
        assertThat(maxAbsDiff(got, expected)).as(projection).isLessThan(1e-6f);
        assertThat(maxAbsDiff(got, w.toFloatArray())).as(projection).isGreaterThan(1e-3f);
        checked++;
      }
      assertThat(checked).isEqualTo(14);
      LlamaModel mergedModel = new LlamaModel(base.config(), merged, null);
      try (NDScope sc = new NDScope()) {
        sc.suppressNotUsedWarning();
        NDArray x = ids(manager);
        float[] viaMerge = mergedModel.forward(x, null, null, null).toFloatArray();
        float[] viaAdapter = base.withAdapter(lora).forward(x, null, null, null).toFloatArray();
        float[] plain = base.forward(x, null, null, null).toFloatArray();
        assertThat(maxAbsDiff(viaAdapter, viaMerge)).isLessThan(2e-5f);
        assertThat(maxAbsDiff(viaAdapter, plain)).isGreaterThan(1e-2f);
      }
    }
  }

  @Test
  void onlyTargetedModulesChange() {
    LoraConfig config = LoraConfig.of(2, 2).withTargetModules(List.of("v_proj", "q_proj"));
    assertThat(config.targetModules()).containsExactly("q_proj", "v_proj");
    try (LlamaModel base = LlamaModel.random(tiny(), 2, 0.3, manager);
        LoraAdapter lora = LoraAdapter.create(base, config, 5, manager);
        NDManager m = manager.newSubManager()) {
      randomiseB(lora, 1);
      assertThat(lora.parameters().keySet()).allMatch(n -> n.contains(".q_proj.") || n.contains(".v_proj."));
      Map<String, NDArray> merged = LoraMerge.mergedParameters(base, lora, m);
      assertThat(merged.get("model.layers.0.self_attn.k_proj.weight"))
          .isSameAs(base.parameters().get("model.layers.0.self_attn.k_proj.weight"));
    }
  }

  @Test
  void gradientsMatchFiniteDifferences() {
    try (LlamaModel base = LlamaModel.random(tiny(), 4, 0.3, manager);
        LoraAdapter lora = LoraAdapter.create(base, LoraConfig.of(2, 4), 6, manager)) {
      randomiseB(lora, 2);
      LlamaModel adapted = base.withAdapter(lora);
      float[] weights = new float[8 * 61];
      SplittableRandom rng = new SplittableRandom(8);
      for (int i = 0; i < weights.length; i++) {
        weights[i] = (float) rng.nextDouble() - 0.5f;
      }
      List<String> probes = List.of("model.layers.0.self_attn.q_proj.lora_A.weight",
          "model.layers.1.mlp.down_proj.lora_B.weight", "model.layers.0.mlp.gate_proj.lora_A.weight",
          "model.layers.1.self_attn.v_proj.lora_B.weight");
      for (String name : probes) {
        NDArray p = lora.parameters().get(name);
        p.setRequiresGradient(true);
      }
      float[][] grads = new float[probes.size()][];
      try (NDScope s = new NDScope(); GradientCollector gc = Engine.getInstance().newGradientCollector()) {
        s.suppressNotUsedWarning();
        NDArray loss = adapted.forward(ids(manager), null, null, null).mul(manager.create(weights, new Shape(1, 8, 61)))
            .sum();
        gc.backward(loss);
        for (int i = 0; i < probes.size(); i++) {
          grads[i] = lora.parameters().get(probes.get(i)).getGradient().toFloatArray();
        }
      }
      for (int i = 0; i < probes.size(); i++) {
        NDArray p = lora.parameters().get(probes.get(i));
        float[] v = p.toFloatArray();
        int index = 1;
        float eps = 1e-2f;
        float orig = v[index];
        v[index] = orig + eps;
        p.set(v);
        double up = loss(adapted, weights);
        v[index] = orig - eps;
        p.set(v);
        double down = loss(adapted, weights);
        v[index] = orig;
        p.set(v);
        double numeric = (up - down) / (2 * eps);
        assertThat(Math.abs(numeric)).as(probes.get(i)).isGreaterThan(1e-3);
        assertThat(grads[i][index]).as(probes.get(i)).isCloseTo((float) numeric,
            org.assertj.core.data.Offset.offset((float) (0.02 * Math.abs(numeric) + 1e-3)));
      }
    }
  }

  static double loss(LlamaModel model, float[] weights) {
    try (NDScope s = new NDScope()) {
      s.suppressNotUsedWarning();
      return model.forward(ids(manager), null, null, null).mul(manager.create(weights, new Shape(1, 8, 61))).sum()
          .getFloat();
    }
  }

  @Test
  void dropoutActsOnlyInTrainingAndOnlyOnTheAdapterInput() {
    LoraConfig config = LoraConfig.of(4, 8).withDropout(0.5);
    try (LlamaModel base = LlamaModel.random(tiny(), 2, 0.3, manager);
        LoraAdapter lora = LoraAdapter.create(base, config, 5, manager);
        NDScope s = new NDScope()) {
      s.suppressNotUsedWarning();
      LlamaModel adapted = base.withAdapter(lora);
      NDArray x = ids(manager);
      float[] plain = base.forward(x, null, null, null).toFloatArray();
      lora.train(11);
      // B = 0: dropout on the adapter's input cannot change the output
      assertThat(adapted.forward(x, null, null, null).toFloatArray()).containsExactly(plain);
      randomiseB(lora, 3);
      lora.eval();
      float[] evaluated = adapted.forward(x, null, null, null).toFloatArray();
      lora.train(11);
      float[] first = adapted.forward(x, null, null, null).toFloatArray();
      float[] again = adapted.forward(x, null, null, null).toFloatArray();
      lora.train(12);
      float[] other = adapted.forward(x, null, null, null).toFloatArray();
      lora.eval();
      assertThat(again).containsExactly(first);
      assertThat(maxAbsDiff(first, evaluated)).isGreaterThan(1e-3f);
      assertThat(maxAbsDiff(other, first)).isGreaterThan(1e-3f);
      assertThat(adapted.forward(x, null, null, null).toFloatArray()).containsExactly(evaluated);
    }
  }

  @Test
  void modulesToSaveReplaceTheHeadOfATiedModelAndMergeUnties() {
    ModelConfig tied = tiny().toBuilder().tieWordEmbeddings(true).build();
    LoraConfig config = LoraConfig.of(2, 2).withModulesToSave(List.of("lm_head"));
    try (LlamaModel base = LlamaModel.random(tied, 2, 0.3, manager);
        LoraAdapter lora = LoraAdapter.create(base, config, 5, manager);
        NDManager m = manager.newSubManager();
        NDScope s = new NDScope()) {
      s.suppressNotUsedWarning();
      NDArray head = lora.parameters().get("lm_head.weight");
      assertThat(head.toFloatArray()).containsExactly(base.headWeight(m).toFloatArray());
      head.set(head.toFloatArray().clone());
      head.muli(1.5f);
      LlamaModel adapted = base.withAdapter(lora);
      assertThat(adapted.headWeight(m)).isSameAs(head);
      NDArray x = ids(manager);
      Map<String, NDArray> merged = LoraMerge.mergedParameters(base, lora, m);
      ModelConfig mergedConfig = LoraMerge.mergedConfig(tied, config);
      assertThat(mergedConfig.tieWordEmbeddings()).isFalse();
      LlamaModel mergedModel = new LlamaModel(mergedConfig, merged, null);
      assertThat(maxAbsDiff(mergedModel.forward(x, null, null, null).toFloatArray(),
          adapted.forward(x, null, null, null).toFloatArray())).isLessThan(1e-5f);
      assertThat(maxAbsDiff(base.forward(x, null, null, null).toFloatArray(),
          adapted.forward(x, null, null, null).toFloatArray())).isGreaterThan(1e-3f);
    }
  }
}
