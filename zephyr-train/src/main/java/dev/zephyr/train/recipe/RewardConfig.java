package dev.zephyr.train.recipe;

import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import dev.zephyr.core.InvalidInputException;
import dev.zephyr.train.data.EvalData;
import dev.zephyr.train.loop.IntervalStrategy;
import dev.zephyr.train.loop.TrainingArguments;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A reward-model run (TRL {@code RewardConfig} + alignment-handbook model/data keys): Bradley-Terry training of a
 * sequence-classification head {@code score.weight} on a decoder initialised from {@code model_name_or_path}.
 *
 * <p>Bound by Jackson from a recipe:
 * {@code new ObjectMapper(new YAMLFactory()).readValue(file, RewardConfig.class)} goes through {@link Recipes}' key
 * table ({@link RecipeBinding}), with the checks and messages of {@code Recipes.load*} and the CLI's {@code --config}.
 *
 * @param modelNameOrPath decoder initialisation (a local Hugging Face causal-LM directory, or a PEFT adapter directory
 *     merged into its base; the LM head is dropped)
 * @param datasets local JSONL comparison files ({@code chosen}/{@code rejected}, optional {@code prompt} and
 *     {@code margin}), concatenated
 * @param maxLength {@code max_length}: pairs with a side longer than this many tokens are dropped, as TRL does
 * @param centerRewardsCoefficient {@code center_rewards_coefficient}; 0 is TRL's None (no centring)
 * @param outputDir {@code output_dir}: the reward model's Hugging Face directory ({@code
 *     LlamaForSequenceClassification} layout with its tokenizer), replaced as a whole when training ends
 * @param training optimisation and bookkeeping; its {@code outputDir} is this run's {@link #runDir()}
 * @param evalData the evaluation pairs: held out of the comparison files ({@code test_split_size}, indices over the
 *     files concatenated), files of their own ({@code eval_dataset_path}) or none; evaluated as
 *     {@code eval_strategy} says, with TRL RewardTrainer's {@code eval_loss}, {@code eval_accuracy},
 *     {@code eval_margin}...
 */
@JsonDeserialize(using = RecipeBinding.Reward.class)
public record RewardConfig(Path modelNameOrPath, List<Path> datasets, int maxLength, double centerRewardsCoefficient,
    Path outputDir, TrainingArguments training, EvalData evalData) {

  /** The source named by validation errors; {@link Recipes} replaces it with the recipe file. */
  public static final String SOURCE = "RewardConfig";
  /** Standard deviation of the new head's initial weights (transformers' {@code initializer_range}). */
  public static final double HEAD_INIT_STD = 0.02;

  public RewardConfig {
    Objects.requireNonNull(outputDir, "output_dir");
    Objects.requireNonNull(training, "training arguments");
    Objects.requireNonNull(evalData, "evalData");
    if (training.evalStrategy() != IntervalStrategy.NO && evalData.isNone()) {
      throw InvalidInputException.field(SOURCE, "eval_strategy", "eval_strategy " + training.evalStrategy().hfName()
          + " needs evaluation pairs: set test_split_size (pairs held out of the comparisons) or eval_dataset_path");
    }
    if (maxLength < 2) {
      throw InvalidInputException.field(SOURCE, "max_length", "expected at least 2 tokens, found " + maxLength);
    }
    if (!(centerRewardsCoefficient >= 0)) {
      throw InvalidInputException.field(SOURCE, "center_rewards_coefficient",
          "expected a number >= 0 (0 disables centring), found " + centerRewardsCoefficient);
    }
    datasets = List.copyOf(datasets);
    RunDirs.check(outputDir, training.outputDir());
  }

  /** {@code run_dir}: checkpoints and {@code metrics.jsonl}; by default {@code <output_dir>-run}. */
  public Path runDir() {
    return training.outputDir();
  }

  /**
   * The keys that shape the result, stored with each checkpoint: {@code max_length},
   * {@code center_rewards_coefficient}, and {@code test_split_size} with its seed when pairs are held out (they decide
   * which pairs train).
   */
  public Map<String, Object> taskKeys() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("max_length", maxLength);
    m.put("center_rewards_coefficient", centerRewardsCoefficient);
    if (evalData.holdOut() != null) {
      m.put("test_split_size", evalData.holdOut().asKey());
      m.put("test_split_seed", evalData.holdOut().seed());
    }
    return m;
  }

  /** The same run with other training arguments. */
  public RewardConfig withTraining(TrainingArguments newTraining) {
    return new RewardConfig(modelNameOrPath, datasets, maxLength, centerRewardsCoefficient, outputDir, newTraining,
        evalData);
  }

  public static Builder builder(Path outputDir) {
    return new Builder(outputDir);
  }

  /** A builder for a stage's settings ({@link RewardRun} fills in model, datasets, directories and seed). */
  public static Builder builder() {
    return new Builder(Path.of(TrainingArguments.DEFAULT_OUTPUT_DIR));
  }

  /** Builder; defaults are TRL's RewardConfig (lr 1e-4, max_length 1024, no centring, gradient checkpointing). */
  public static final class Builder {
    Path modelNameOrPath;
    List<Path> datasets = List.of();
    int maxLength = 1024;
    double centerRewardsCoefficient;
    Path outputDir;
    TrainingArguments.Builder training;
    EvalData evalData = EvalData.NONE;

    Builder(Path outputDir) {
      this.outputDir = outputDir;
      training = TrainingArguments.builder(RunDirs.besides(outputDir)).learningRate(1e-4).gradientCheckpointing(true);
    }

    public Builder modelNameOrPath(Path v) { modelNameOrPath = v; return this; }
    public Builder datasets(List<Path> v) { datasets = v; return this; }
    public Builder maxLength(int v) { maxLength = v; return this; }
    public Builder centerRewardsCoefficient(double v) { centerRewardsCoefficient = v; return this; }
    /** {@code run_dir}; defaults to {@link RunDirs#besides} of the output directory. */
    public Builder runDir(Path v) { training.outputDir(v); return this; }
    public TrainingArguments.Builder training() { return training; }
    /** Evaluation pairs ({@code test_split_size} or {@code eval_dataset_path}); none by default. */
    public Builder evalData(EvalData v) { evalData = v; return this; }

    public RewardConfig build() {
      return new RewardConfig(modelNameOrPath, datasets, maxLength, centerRewardsCoefficient, outputDir,
          training.build(), evalData);
    }
  }
}
