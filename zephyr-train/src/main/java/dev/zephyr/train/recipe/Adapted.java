package dev.zephyr.train.recipe;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.zephyr.core.CheckpointException;
import dev.zephyr.core.io.AtomicFiles;
import dev.zephyr.core.model.LlamaModel;
import dev.zephyr.core.model.ModelFiles;
import dev.zephyr.core.model.lora.AdaptedModel;
import dev.zephyr.core.model.lora.LoraAdapter;
import dev.zephyr.core.model.lora.LoraConfig;
import dev.zephyr.core.model.lora.LoraMerge;
import dev.zephyr.core.model.lora.PeftFiles;
import dev.zephyr.train.loop.CheckpointWeights;
import dev.zephyr.train.loop.TrainingTask;
import dev.zephyr.train.lora.LoraTraining;
import dev.zephyr.train.pipeline.StageContext;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The model a run trains: the base itself (full fine-tuning), or the base with new LoRA adapters, in which case only
 * the adapters are trainable and the output directory receives the adapter as PEFT saves it.
 */
final class Adapted implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Adapted.class);

  private final LlamaModel base;
  private final LoraAdapter adapter;
  private final long seed;
  private final Path modelDir;

  private Adapted(LlamaModel base, LoraAdapter adapter, long seed, Path modelDir) {
    this.base = base;
    this.adapter = adapter;
    this.seed = seed;
    this.modelDir = modelDir;
  }

  /**
   * {@code base} (loaded from {@code baseDir}, the recipe's {@code model_name_or_path}) as it is when {@code lora} is
   * null, else with fresh adapters seeded by the run seed; their {@code base_model_name_or_path} is {@code baseDir}.
   */
  static Adapted of(LlamaModel base, LoraConfig lora, Path baseDir, long seed, NDManager parent) {
    if (lora == null) {
      return new Adapted(base, null, seed, baseDir);
    }
    LoraAdapter adapter = LoraAdapter.create(base, lora.withBaseModel(baseDir.toString()), seed, parent);
    LOG.info("LoRA r={} alpha={} on {}: {} trainable parameters of {} ({}%)", lora.r(), lora.loraAlpha(),
        lora.targetModules(), adapter.parameterCount(), base.parameterCount(),
        String.format(java.util.Locale.ROOT, "%.3f", 100.0 * adapter.parameterCount() / base.parameterCount()));
    return new Adapted(base, adapter, seed, baseDir);
  }

  /** The model the task computes with. */
  LlamaModel model() {
    return adapter == null ? base : base.withAdapter(adapter);
  }

  /** The parameters the optimizer holds: every weight, or only the adapters (and modules to save). */
  Map<String, NDArray> trainable() {
    return new LinkedHashMap<>(adapter == null ? base.parameters() : adapter.parameters());
  }

  /** How checkpoints hold the trainable parameters: the full model, or the adapter in PEFT's files. */
  CheckpointWeights checkpointWeights() {
    return adapter == null ? CheckpointWeights.MODEL : LoraTraining.checkpointWeights(adapter.config());
  }

  /** {@code task}, with the adapters' dropout active during its losses when there are adapters. */
  <E, B> TrainingTask<E, B> task(TrainingTask<E, B> task) {
    return adapter == null || adapter.config().loraDropout() == 0 ? task
        : LoraTraining.withDropout(task, adapter, seed);
  }

  /**
   * Writes the result to {@code outputDir}: the full model, or (as TRL's {@code save_model} with PEFT) the adapter's
   * {@code adapter_config.json} and {@code adapter_model.safetensors} with the tokenizer files of
   * {@code tokenizerDir}.
   */
  void export(Path tokenizerDir, Path outputDir) {
    if (adapter == null) {
      TrainingRuns.export(base, tokenizerDir, outputDir);
      return;
    }
    TrainingRuns.requireReplaceable(outputDir);
    try {
      Files.createDirectories(outputDir);
      // only model files can be there (checked above); a full model left by an earlier run is not this result
      try (Stream<Path> old = Files.list(outputDir)) {
        for (Path f : old.toList()) {
          Files.delete(f);
        }
      }
      PeftFiles.save(adapter, outputDir);
      for (String name : ModelFiles.TOKENIZER_FILES) {
        Path src = tokenizerDir.resolve(name);
        if (Files.isRegularFile(src)) {
          AtomicFiles.write(outputDir.resolve(name), out -> Files.copy(src, out));
        }
      }
    } catch (IOException e) {
      throw new CheckpointException("cannot write the adapter to " + outputDir, e);
    }
    LOG.info("LoRA adapter written to {} (PEFT files; base {})", outputDir, modelDir);
    if (AdaptedModel.isAdapterDirectory(modelDir)) {
      warnStackedAdapter(outputDir);
    }
  }

  /**
   * Says what the new adapter applies to when the run started from an adapter directory. TRL merges that adapter and
   * writes the original base's name, so PEFT would silently apply the new adapter to a model without the first one;
   * here {@code base_model_name_or_path} names the first adapter's directory instead, and this line says how to load.
   */
  private void warnStackedAdapter(Path outputDir) {
    Path base = AdaptedModel.baseOf(modelDir);
    LOG.warn("{} applies to {} merged into its base {} (base_model_name_or_path names {}): load it with zephyr as"
        + " --model {} --adapter {}; with PEFT, merge first (PeftModel.from_pretrained(AutoModelForCausalLM"
        + ".from_pretrained('{}'), '{}').merge_and_unload()) and apply the new adapter to that model, not to the bare"
        + " base", outputDir, modelDir, base, modelDir, modelDir, outputDir, base, modelDir);
  }

  /**
   * Where a pipeline stage trains to: its model directory, or with LoRA an {@code adapter/} directory in its run
   * directory, merged afterwards by {@link #mergeForNextStage} so that the next stage gets a full model.
   */
  static Path stageOutput(LoraConfig lora, StageContext ctx) {
    return lora == null ? ctx.modelDir() : ctx.runDir().resolve("adapter");
  }

  /** The stage's model directory, after merging the adapter in {@code out} into {@code base} when there is one. */
  static Path mergeForNextStage(Path base, Path out, StageContext ctx) {
    if (!out.equals(ctx.modelDir())) {
      LoraMerge.mergeToDirectory(base, out, ctx.modelDir());
      LOG.info("adapter {} merged into {} for the next stage", out, ctx.modelDir());
    }
    return ctx.modelDir();
  }

  @Override
  public void close() {
    if (adapter != null) {
      adapter.close();
    }
  }
}
