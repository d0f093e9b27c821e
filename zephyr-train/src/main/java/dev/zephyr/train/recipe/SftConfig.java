package dev.zephyr.train.recipe;

import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import dev.zephyr.core.InvalidInputException;
import dev.zephyr.core.model.lora.LoraConfig;
import dev.zephyr.core.tokenizer.LossMode;
import dev.zephyr.train.data.DatasetMixture;
import dev.zephyr.train.data.EvalData;
import dev.zephyr.train.data.HoldOut;
import dev.zephyr.train.loop.IntervalStrategy;
import dev.zephyr.train.loop.TrainingArguments;
import dev.zephyr.train.lora.LoraTraining;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * An SFT run (TRL {@code SFTConfig} + alignment-handbook model/data keys).
 *
 * <p>Bound by Jackson from a recipe:
 * {@code new ObjectMapper(new YAMLFactory()).readValue(file, SftConfig.class)} goes through {@link Recipes}' key
 * table ({@link RecipeBinding}), with the checks and messages of {@code Recipes.load*} and the CLI's {@code --config}.
 *
 * @param modelNameOrPath local Hugging Face model directory (config.json, safetensors, tokenizer files), or a PEFT
 *     adapter directory, merged into its base on load
 * @param datasetMixture the training rows: {@code dataset_mixture}, or whole files ({@code dataset_path})
 * @param maxLength {@code max_length} (alias {@code max_seq_length})
 * @param packing best-fit-decreasing packing
 * @param lossMode all tokens, assistant tokens ({@code assistant_only_loss}) or the completion
 *     ({@code completion_only_loss})
 * @param outputDir {@code output_dir}: the trained model's Hugging Face directory (model and tokenizer files only),
 *     replaced as a whole when training ends
 * @param training optimisation and bookkeeping; its {@code outputDir} is this run's {@link #runDir()}
 * @param evalData the evaluation rows: held out of the training rows ({@code test_split_size}, cut from the mixture
 *     in mixture order), files of their own ({@code eval_dataset_path}) or none; evaluated as {@code eval_strategy} says
 * @param lora LoRA adapters to train instead of every weight ({@code use_peft}), or null for full fine-tuning
 */
@JsonDeserialize(using = RecipeBinding.Sft.class)
public record SftConfig(Path modelNameOrPath, DatasetMixture datasetMixture, int maxLength, boolean packing,
    LossMode lossMode, Path outputDir, TrainingArguments training, EvalData evalData, LoraConfig lora) {

  /** The source named by validation errors; {@link Recipes} replaces it with the recipe file. */
  public static final String SOURCE = "SftConfig";

  public SftConfig {
    Objects.requireNonNull(outputDir, "output_dir");
    Objects.requireNonNull(training, "training arguments");
    Objects.requireNonNull(lossMode, "loss mode");
    Objects.requireNonNull(evalData, "evalData");
    if (training.evalStrategy() != IntervalStrategy.NO && evalData.isNone()) {
      throw InvalidInputException.field(SOURCE, "eval_strategy", "eval_strategy " + training.evalStrategy().hfName()
          + " needs evaluation rows: set test_split_size (rows held out of the training data) or eval_dataset_path");
    }
    if (maxLength < 2) {
      throw InvalidInputException.field(SOURCE, "max_length", "expected at least 2 tokens, found " + maxLength);
    }
    Objects.requireNonNull(datasetMixture, "dataset_mixture");
    RunDirs.check(outputDir, training.outputDir());
  }

  /**
   * {@code run_dir}: where the trainer writes {@code checkpoint-N/}, {@code metrics.jsonl} and (DPO)
   * {@code ref_cache/}, and where a rerun resumes from; by default {@code <output_dir>-run} ({@link RunDirs}).
   */
  public Path runDir() {
    return training.outputDir();
  }

  /**
   * The SFT keys that shape the result (the trainer stores them with each checkpoint and compares them on resume):
   * {@code max_length}, {@code packing}, {@code loss_mode}, and {@code test_split_size} with its seed when rows are
   * held out (they decide which rows train).
   */
  public Map<String, Object> taskKeys() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("max_length", maxLength);
    m.put("packing", packing);
    m.put("loss_mode", lossMode.name().toLowerCase(Locale.ROOT));
    m.putAll(LoraTraining.taskKeys(lora));
    if (evalData.holdOut() != null) {
      m.put("test_split_size", evalData.holdOut().asKey());
      m.put("test_split_seed", evalData.holdOut().seed());
    }
    return m;
  }

  /** The same run with other training arguments (e.g. {@code allow_config_change} from the command line). */
  public SftConfig withTraining(TrainingArguments newTraining) {
    return new SftConfig(modelNameOrPath, datasetMixture, maxLength, packing, lossMode, outputDir, newTraining,
        evalData, lora);
  }

  public static Builder builder(Path outputDir) {
    return new Builder(outputDir);
  }

  /**
   * A builder for a stage's settings ({@link SftRun} fills in model, datasets, directories and seed), or for a
   * standalone run into {@value TrainingArguments#DEFAULT_OUTPUT_DIR}, transformers' default output directory.
   */
  public static Builder builder() {
    return new Builder(Path.of(TrainingArguments.DEFAULT_OUTPUT_DIR));
  }

  /** Builder; defaults are TRL's SFTConfig defaults (lr 2e-5, max_length 1024, no packing, loss on all tokens). */
  public static final class Builder {
    Path modelNameOrPath;
    DatasetMixture datasetMixture = DatasetMixture.ofFiles(List.of());
    int maxLength = 1024;
    boolean packing;
    LossMode lossMode = LossMode.ALL;
    Path outputDir;
    TrainingArguments.Builder training;
    LoraConfig lora;
    EvalData evalData = EvalData.NONE;

    Builder(Path outputDir) {
      this.outputDir = outputDir;
      // TRL turns gradient checkpointing on in its configs (transformers leaves it off)
      training = TrainingArguments.builder(RunDirs.besides(outputDir)).gradientCheckpointing(true);
    }

    public Builder modelNameOrPath(Path v) { modelNameOrPath = v; return this; }
    /** Whole files, concatenated in order ({@code dataset_path}). */
    public Builder datasets(List<Path> v) { datasetMixture = DatasetMixture.ofFiles(v); return this; }
    /**
     * A {@code dataset_mixture}: weights, columns, splits and seed as the alignment handbook reads them; its
     * {@code test_split_size} holds rows out for evaluation (with the mixture's seed) unless evaluation rows are set.
     */
    public Builder datasetMixture(DatasetMixture v) {
      datasetMixture = v;
      if (v != null && v.testSplitSize() != null && evalData.isNone()) {
        evalData = EvalData.heldOut(new HoldOut(v.testSplitSize(), v.seed()));
      }
      return this;
    }
    public Builder maxLength(int v) { maxLength = v; return this; }
    public Builder packing(boolean v) { packing = v; return this; }
    public Builder lossMode(LossMode v) { lossMode = v; return this; }
    /** LoRA adapters to train ({@code use_peft}); null (the default) trains every weight. */
    public Builder lora(LoraConfig v) { lora = v; return this; }
    /** {@code run_dir}; defaults to {@link RunDirs#besides} of the output directory. */
    public Builder runDir(Path v) { training.outputDir(v); return this; }
    public TrainingArguments.Builder training() { return training; }
    /** Evaluation rows ({@code test_split_size} or {@code eval_dataset_path}); none by default. */
    public Builder evalData(EvalData v) { evalData = v; return this; }

    public SftConfig build() {
      return new SftConfig(modelNameOrPath, datasetMixture, maxLength, packing, lossMode, outputDir, training.build(),
          evalData, lora);
    }
  }
}
