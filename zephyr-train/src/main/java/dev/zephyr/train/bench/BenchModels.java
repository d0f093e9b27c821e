package dev.zephyr.train.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.zephyr.core.model.HalfPrecisionWeights;
import dev.zephyr.core.model.LlamaModel;
import dev.zephyr.core.model.MatmulBackend;
import dev.zephyr.core.model.ModelConfig;
import dev.zephyr.core.model.lora.LoraAdapter;
import dev.zephyr.core.model.lora.LoraConfig;
import dev.zephyr.core.model.safetensors.Dtype;
import dev.zephyr.train.loop.TrainingTask;
import dev.zephyr.train.lora.LoraTraining;
import dev.zephyr.train.recipe.FrozenWeights;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** The models of one benchmark run: the trained policy, its adapter, and a separate reference when there is one. */
final class BenchModels implements AutoCloseable {
  final LlamaModel base;
  final LoraAdapter adapter;
  final LlamaModel policy;
  final LlamaModel reference;

  private BenchModels(LlamaModel base, LoraAdapter adapter, LlamaModel reference, boolean bf16) {
    this.base = base;
    this.adapter = adapter;
    LlamaModel policy = adapter == null ? base : base.withAdapter(adapter);
    // --dtype bf16 also multiplies in bfloat16, as a recipe with bf16: true does
    this.policy = bf16 ? policy.withMatmul(MatmulBackend.BF16) : policy;
    this.reference = reference == null || !bf16 ? reference : reference.withMatmul(MatmulBackend.BF16);
    this.ownedReference = reference;
    this.bf16 = bf16;
  }

  private final LlamaModel ownedReference;
  private final boolean bf16;

  static BenchModels build(TrainBenchOptions o, ModelConfig config, NDManager manager, Path scratch) {
    boolean bf16 = o.frozen() == TrainBenchOptions.Frozen.BF16;
    if (o.loraR() > 0) {
      LlamaModel base = bf16 ? frozen16(config, o.seed(), manager, scratch.resolve("base"))
          : LlamaModel.random(config, o.seed(), manager);
      LoraConfig lora = LoraConfig.of(o.loraR(), o.loraAlpha()).withDropout(o.loraDropout());
      return new BenchModels(base, LoraAdapter.create(base, lora, o.seed(), manager), null, bf16);
    }
    LlamaModel policy = LlamaModel.random(config, o.seed(), manager);
    LlamaModel reference = null;
    if (o.mode() == TrainBenchOptions.Mode.DPO && !o.cachedRef()) {
      reference = bf16 ? frozen16(config, o.seed() + 1, manager, scratch.resolve("reference"))
          : LlamaModel.random(config, o.seed() + 1, manager);
    }
    return new BenchModels(policy, null, reference, bf16);
  }

  /** A random model written as BF16 and loaded back with its matrices kept at 2 bytes, as a recipe loads one. */
  private static LlamaModel frozen16(ModelConfig config, long seed, NDManager manager, Path dir) {
    try (NDManager m = manager.newSubManager(); LlamaModel random = LlamaModel.random(config, seed, m)) {
      random.save(dir, Dtype.BF16, null);
    }
    return LlamaModel.load(dir, manager, FrozenWeights::isMatrix);
  }

  /** The model whose log-probs are the DPO reference: a separate model, or the base with adapters off. */
  LlamaModel referenceSource() {
    return reference != null ? reference : bf16 ? base.withMatmul(MatmulBackend.BF16) : base;
  }

  Map<String, NDArray> trainable() {
    return new LinkedHashMap<>(adapter == null ? policy.parameters() : adapter.parameters());
  }

  <E, B> TrainingTask<E, B> withDropout(TrainingTask<E, B> task, long seed) {
    return adapter == null || adapter.config().loraDropout() == 0 ? task
        : LoraTraining.withDropout(task, adapter, seed);
  }

  long params() {
    return base.parameterCount() + (adapter == null ? 0 : adapter.parameterCount());
  }

  long params16Bit() {
    long n = 0;
    for (LlamaModel m : new LlamaModel[] {base, reference}) {
      HalfPrecisionWeights half = m == null ? null : m.halfPrecisionWeights();
      n += half == null ? 0 : half.elementCount();
    }
    return n;
  }

  @Override
  public void close() {
    if (adapter != null) {
      adapter.close();
    }
    if (ownedReference != null) {
      ownedReference.close();
    }
    base.close();
  }
}
