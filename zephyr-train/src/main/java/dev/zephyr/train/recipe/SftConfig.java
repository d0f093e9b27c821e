package dev.zephyr.train.recipe;

import dev.zephyr.core.tokenizer.LossMode;
import dev.zephyr.train.loop.TrainingArguments;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * An SFT run (TRL {@code SFTConfig} + alignment-handbook model/data keys).
 *
 * @param modelNameOrPath local Hugging Face model directory (config.json, safetensors, tokenizer files)
 * @param datasets local JSONL files, concatenated
 * @param maxLength {@code max_length} (alias {@code max_seq_length})
 * @param packing best-fit-decreasing packing
 * @param lossMode all tokens, assistant tokens ({@code assistant_only_loss}) or the completion
 *     ({@code completion_only_loss})
 * @param training optimisation and bookkeeping
 */
public record SftConfig(Path modelNameOrPath, List<Path> datasets, int maxLength, boolean packing, LossMode lossMode,
    TrainingArguments training) {

  public SftConfig {
    Objects.requireNonNull(training, "training arguments");
    datasets = List.copyOf(datasets);
  }

  public static Builder builder(Path outputDir) {
    return new Builder(outputDir);
  }

  /**
   * A builder for a stage's settings: model, datasets, output directory and seed are filled in by the stage that runs
   * it ({@link SftRun}); standalone runs set {@code training().outputDir(...)} (default {@value TrainingArguments#DEFAULT_OUTPUT_DIR},
   * as transformers').
   */
  public static Builder builder() {
    return new Builder(Path.of(TrainingArguments.DEFAULT_OUTPUT_DIR));
  }

  /** Builder; defaults are TRL's SFTConfig defaults (lr 2e-5, max_length 1024, no packing, loss on all tokens). */
  public static final class Builder {
    Path modelNameOrPath;
    List<Path> datasets = List.of();
    int maxLength = 1024;
    boolean packing;
    LossMode lossMode = LossMode.ALL;
    TrainingArguments.Builder training;

    Builder(Path outputDir) {
      // TRL turns gradient checkpointing on in its configs (transformers leaves it off)
      training = TrainingArguments.builder(outputDir).gradientCheckpointing(true);
    }

    public Builder modelNameOrPath(Path v) { modelNameOrPath = v; return this; }
    public Builder datasets(List<Path> v) { datasets = v; return this; }
    public Builder maxLength(int v) { maxLength = v; return this; }
    public Builder packing(boolean v) { packing = v; return this; }
    public Builder lossMode(LossMode v) { lossMode = v; return this; }
    public TrainingArguments.Builder training() { return training; }

    public SftConfig build() {
      return new SftConfig(modelNameOrPath, datasets, maxLength, packing, lossMode, training.build());
    }
  }
}
