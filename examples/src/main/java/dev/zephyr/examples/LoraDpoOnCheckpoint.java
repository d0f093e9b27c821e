package dev.zephyr.examples;

import dev.zephyr.core.model.lora.LoraConfig;
import dev.zephyr.train.loop.Trainer;
import dev.zephyr.train.recipe.DpoConfig;
import dev.zephyr.train.recipe.Recipes;
import dev.zephyr.train.recipe.TrainingRuns;
import java.util.List;

/**
 * DPO with LoRA adapters on any local Hugging Face checkpoint directory (Llama, Mistral or Qwen2 family), with the
 * alignment-handbook's Zephyr-7B-beta DPO LoRA recipe ({@link Recipes#handbookDpoLora}: beta 0.01, lr 5e-6 cosine,
 * warmup 0.1, 1 epoch, batch 4 x 4 accumulation steps; r 128, alpha 128, dropout 0.05 on all seven projections).
 * The base stays frozen and, with its adapters off, is the DPO reference, so only one copy of the model is loaded.
 * The preference file is in the {@code ultrafeedback_binarized} layout ({@code prompt}, {@code chosen},
 * {@code rejected}).
 *
 * <p>{@code OUTPUT_DIR} receives what PEFT's {@code save_pretrained} writes ({@code adapter_config.json},
 * {@code adapter_model.safetensors}) and the base's tokenizer files; {@code OUTPUT_DIR-run} beside it holds
 * {@code metrics.jsonl} (TRL metric names, one line per step) and the checkpoints, from which a rerun resumes. Use the
 * adapter with {@code zephyr generate --model MODEL_DIR --adapter OUTPUT_DIR}, or merge it with
 * {@code zephyr merge-adapter}. An optional fourth argument caps the number of optimiser steps.
 *
 * <pre>
 * mvn -B -ntp -DskipTests package
 * java -cp examples/target/zephyr.jar dev.zephyr.examples.LoraDpoOnCheckpoint \
 *     models/SmolLM2-135M-Instruct train_prefs.jsonl out/smollm2-dpo-lora [MAX_STEPS]
 * </pre>
 */
public final class LoraDpoOnCheckpoint {
  static final String USAGE = "usage: LoraDpoOnCheckpoint MODEL_DIR PREFERENCES.jsonl OUTPUT_DIR [MAX_STEPS]";

  private LoraDpoOnCheckpoint() {}

  public static void main(String[] args) {
    System.exit(run(args));
  }

  /** Runs the example; returns the process exit code (0 success, 1 failure, 2 bad usage). */
  public static int run(String... args) {
    DpoExampleArgs a;
    try {
      a = DpoExampleArgs.parse("LoraDpoOnCheckpoint", USAGE, args);
    } catch (DpoExampleArgs.Refused e) {
      return e.exitCode();
    }
    try {
      DpoConfig.Builder recipe = Recipes.handbookDpoLora(a.output()).modelNameOrPath(a.model())
          .datasets(List.of(a.preferences()));
      recipe.training().loggingSteps(1); // every step, so that a short try shows its curve
      if (a.maxSteps() != null) {
        recipe.training().maxSteps(a.maxSteps());
      }
      DpoConfig config = recipe.build();
      LoraConfig lora = config.lora();
      Trainer.TrainResult r = TrainingRuns.dpo(config);
      System.out.printf("lora dpo done: r %d, alpha %s, %d steps, train loss %.4f, %.1f s; adapter in %s%n",
          lora.r(), lora.loraAlpha(), r.globalStep(), r.trainLoss(), r.seconds(), a.output());
      return 0;
    } catch (RuntimeException e) {
      System.err.println("LoraDpoOnCheckpoint: " + e.getMessage());
      return 1;
    }
  }
}
