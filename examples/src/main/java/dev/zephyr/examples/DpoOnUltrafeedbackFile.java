package dev.zephyr.examples;

import dev.zephyr.train.loop.Trainer;
import dev.zephyr.train.recipe.DpoConfig;
import dev.zephyr.train.recipe.Recipes;
import dev.zephyr.train.recipe.TrainingRuns;
import java.util.List;

/**
 * DPO of a local Hugging Face model directory on an existing preference file in the {@code ultrafeedback_binarized}
 * layout ({@code prompt}, {@code chosen} and {@code rejected}, the last two as message lists), with the Zephyr-7B-beta
 * hyper-parameters ({@link Recipes#zephyr7bBetaDpo}: beta 0.1, sigmoid loss, lr 5e-7 linear, 3 epochs). The
 * reference model is a frozen copy of the starting model. The trained model and its tokenizer files are written to
 * the output directory; {@code metrics.jsonl} (TRL metric names) and checkpoints to {@code OUTPUT_DIR-run} beside it.
 *
 * <p>An optional fourth argument caps the number of optimiser steps (for a quick try); the YAML-configured version
 * is {@code zephyr dpo --config FILE.yaml}.
 *
 * <pre>
 * mvn -B -ntp -DskipTests package
 * java -cp examples/target/zephyr.jar dev.zephyr.examples.DpoOnUltrafeedbackFile \
 *     models/zephyr-sft train_prefs.jsonl out/zephyr-dpo [MAX_STEPS]
 * </pre>
 */
public final class DpoOnUltrafeedbackFile {
  static final String USAGE = "usage: DpoOnUltrafeedbackFile MODEL_DIR PREFERENCES.jsonl OUTPUT_DIR [MAX_STEPS]";

  private DpoOnUltrafeedbackFile() {}

  public static void main(String[] args) {
    System.exit(run(args));
  }

  /** Runs the example; returns the process exit code (0 success, 1 failure, 2 bad usage). */
  public static int run(String... args) {
    DpoExampleArgs a;
    try {
      a = DpoExampleArgs.parse("DpoOnUltrafeedbackFile", USAGE, args);
    } catch (DpoExampleArgs.Refused e) {
      return e.exitCode();
    }
    try {
      DpoConfig.Builder recipe = Recipes.zephyr7bBetaDpo(a.output()).modelNameOrPath(a.model())
          .datasets(List.of(a.preferences()));
      recipe.training().disableTqdm(true).loggingSteps(1);
      if (a.maxSteps() != null) {
        recipe.training().maxSteps(a.maxSteps());
      }
      Trainer.TrainResult r = TrainingRuns.dpo(recipe.build());
      System.out.printf("dpo done: %d steps, train loss %.4f, %.1f s; model in %s%n", r.globalStep(), r.trainLoss(),
          r.seconds(), a.output());
      return 0;
    } catch (RuntimeException e) {
      System.err.println("DpoOnUltrafeedbackFile: " + e.getMessage());
      return 1;
    }
  }
}
