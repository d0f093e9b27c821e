package dev.zephyr.train.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.training.GradientCollector;
import dev.zephyr.core.model.lora.LoraAdapter;
import dev.zephyr.core.model.lora.LoraConfig;
import dev.zephyr.core.model.lora.PeftFiles;
import dev.zephyr.train.loop.CheckpointWeights;
import dev.zephyr.train.loop.StepContext;
import dev.zephyr.train.loop.TrainingTask;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** What training with LoRA adds to a run: the keys a checkpoint records, and dropout switched on per micro-batch. */
public final class LoraTraining {
  /** Mixed into the run seed so that dropout masks do not share a stream with the task's own random draws. */
  private static final long DROPOUT_SALT = 0x4C6F52414470L;

  private LoraTraining() {}

  /**
   * The adapter settings under TRL's recipe names, stored with each checkpoint so that a resume with other adapters
   * is refused; empty for full fine-tuning, so checkpoints of runs without LoRA are unchanged.
   */
  public static Map<String, Object> taskKeys(LoraConfig lora) {
    Map<String, Object> m = new LinkedHashMap<>();
    if (lora == null) {
      return m;
    }
    m.put("use_peft", true);
    m.put("lora_r", lora.r());
    m.put("lora_alpha", lora.loraAlpha());
    m.put("lora_dropout", lora.loraDropout());
    m.put("lora_target_modules", lora.targetModules());
    m.put("lora_modules_to_save", lora.modulesToSave());
    m.put("use_rslora", lora.useRslora());
    return m;
  }

  /**
   * {@code task} with the adapter's dropout on while each micro-batch's loss is computed, masks drawn from the run
   * seed, the step and the micro-batch (so a resumed run draws what an uninterrupted one would), and off otherwise.
   */
  public static <E, B> TrainingTask<E, B> withDropout(TrainingTask<E, B> task, LoraAdapter adapter, long seed) {
    return new TrainingTask<>() {
      @Override
      public B collate(List<E> examples) {
        return task.collate(examples);
      }

      @Override
      public long lossUnits(B batch) {
        return task.lossUnits(batch);
      }

      @Override
      public long tokens(B batch) {
        return task.tokens(batch);
      }

      @Override
      public LossOutput loss(Map<String, NDArray> params, B batch, StepContext context) {
        adapter.train(dropoutSeed(seed, context));
        try {
          return task.loss(params, batch, context);
        } finally {
          adapter.eval();
        }
      }

      @Override
      public LossOutput evalLoss(Map<String, NDArray> params, B batch, StepContext context) {
        return task.evalLoss(params, batch, context); // the adapter stays in eval mode: no dropout
      }

      @Override
      public ScaledLoss lossAndBackward(Map<String, NDArray> params, B batch, StepContext context, long stepUnits,
          GradientCollector gc) {
        // dropout stays on through backward: activation checkpointing recomputes layers there
        adapter.train(dropoutSeed(seed, context));
        try {
          return task.lossAndBackward(params, batch, context, stepUnits, gc);
        } finally {
          adapter.eval();
        }
      }
    };
  }

  /**
   * Checkpoint weights as TRL's checkpoints of a PEFT model hold them: {@code adapter_config.json} and
   * {@code adapter_model.safetensors} with PEFT's tensor names, so that {@code checkpoint-N/} loads with
   * {@code PeftModel.from_pretrained} (and {@code zephyr generate --adapter}) while a resume reads the same tensors.
   */
  public static CheckpointWeights checkpointWeights(LoraConfig config) {
    return new CheckpointWeights() {
      @Override
      public void write(Path checkpointDir, Map<String, NDArray> params) {
        PeftFiles.save(config, params, checkpointDir);
      }

      @Override
      public Path file(Path checkpoint) {
        return checkpoint.resolve(PeftFiles.WEIGHTS);
      }

      @Override
      public String storedName(String parameter) {
        return PeftFiles.tensorName(parameter);
      }
    };
  }

  private static long dropoutSeed(long seed, StepContext context) {
    return StepContext.of(seed ^ DROPOUT_SALT, context.globalStep(), context.microBatch()).random().nextLong();
  }
}
