package dev.zephyr.train.recipe;

import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import dev.zephyr.core.InvalidInputException;
import dev.zephyr.core.model.lora.LoraConfig;
import dev.zephyr.train.dpo.DpoLoss;
import dev.zephyr.train.dpo.DpoLossType;
import dev.zephyr.train.data.DatasetMixture;
import dev.zephyr.train.data.EvalData;
import dev.zephyr.train.data.HoldOut;
import dev.zephyr.train.loop.IntervalStrategy;
import dev.zephyr.train.loop.TrainingArguments;
import dev.zephyr.train.lora.LoraTraining;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A DPO run (TRL {@code DPOConfig} + alignment-handbook model/data keys).
 *
 * <p>Bound by Jackson from a recipe:
 * {@code new ObjectMapper(new YAMLFactory()).readValue(file, DpoConfig.class)} goes through {@link Recipes}' key
 * table ({@link RecipeBinding}), with the checks and messages of {@code Recipes.load*} and the CLI's {@code --config}.
 *
 * @param modelNameOrPath policy initialisation (the dSFT model): a model directory, or a PEFT adapter directory (the
 *     handbook's SFT adapter), merged into its base on load
 * @param refModelNameOrPath reference model (or adapter) directory; null means a frozen copy of the initial policy
 * @param datasetMixture the training rows: {@code dataset_mixture}, or whole files ({@code dataset_path})
 * @param loss beta, loss types and weights, label smoothing
 * @param maxLength {@code max_length} of prompt + completion (keep_start)
 * @param precomputeRefLogProbs compute the reference log-probs once and cache them (one model in memory)
 * @param pairsPerForward {@code pairs_per_forward} (zephyr's own key): at most this many pairs per forward/backward
 *     within a micro-batch, with unchanged loss and gradients; 0 means half the micro-batch when the reference
 *     log-probs are precomputed and all of it otherwise (see {@link dev.zephyr.train.dpo.DpoTask})
 * @param outputDir {@code output_dir}: the trained model's Hugging Face directory (model and tokenizer files only),
 *     replaced as a whole when training ends
 * @param training optimisation and bookkeeping; its {@code outputDir} is this run's {@link #runDir()}
 * @param evalData the evaluation pairs: held out of the training pairs ({@code test_split_size}, cut from the
 *     mixture in mixture order), files of their own ({@code eval_dataset_path}) or none; evaluated as
 *     {@code eval_strategy} says
 * @param lora LoRA adapters to train ({@code use_peft}), or null for full fine-tuning; with adapters and no
 *     {@code ref_model_name_or_path} the reference is the same weights with the adapters off, as in TRL
 */
@JsonDeserialize(using = RecipeBinding.Dpo.class)
public record DpoConfig(Path modelNameOrPath, Path refModelNameOrPath, DatasetMixture datasetMixture, DpoLoss loss,
    int maxLength, boolean precomputeRefLogProbs, int pairsPerForward, Path outputDir, TrainingArguments training,
    EvalData evalData, LoraConfig lora) {

  /** The source named by validation errors; {@link Recipes} replaces it with the recipe file. */
  public static final String SOURCE = "DpoConfig";

  public DpoConfig {
    Objects.requireNonNull(loss);
    if (maxLength < 2) {
      throw InvalidInputException.field(SOURCE, "max_length", "expected at least 2 tokens (a prompt token and a"
          + " completion token), found " + maxLength);
    }
    if (pairsPerForward < 0) {
      throw new IllegalArgumentException("pairs_per_forward must be >= 0, got " + pairsPerForward);
    }
    Objects.requireNonNull(outputDir, "output_dir");
    Objects.requireNonNull(training);
    Objects.requireNonNull(datasetMixture, "dataset_mixture");
    Objects.requireNonNull(evalData, "evalData");
    if (training.evalStrategy() != IntervalStrategy.NO && evalData.isNone()) {
      throw InvalidInputException.field(SOURCE, "eval_strategy", "eval_strategy " + training.evalStrategy().hfName()
          + " needs evaluation rows: set test_split_size (rows held out of the training data) or eval_dataset_path");
    }
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
   * The DPO keys that shape the result (the trainer stores them with each checkpoint and compares them on resume):
   * {@code beta}, {@code loss_type}, {@code loss_weights}, {@code label_smoothing}, {@code max_length}, and
   * {@code test_split_size} with its seed when pairs are held out (they decide which pairs train).
   * Not {@code precompute_ref_log_probs} or {@code pairs_per_forward}: the same reference log-probs and gradients,
   * computed at another time or in other slices.
   */
  public Map<String, Object> taskKeys() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("beta", loss.beta());
    m.put("loss_type", loss.lossTypes().stream().map(DpoLossType::trlName).toList());
    if (loss.lossWeights() != null) {
      m.put("loss_weights", loss.lossWeights());
    }
    m.put("label_smoothing", loss.labelSmoothing());
    m.put("max_length", maxLength);
    m.putAll(LoraTraining.taskKeys(lora));
    if (evalData.holdOut() != null) {
      m.put("test_split_size", evalData.holdOut().asKey());
      m.put("test_split_seed", evalData.holdOut().seed());
    }
    return m;
  }

  /** The same run with other training arguments (e.g. {@code allow_config_change} from the command line). */
  public DpoConfig withTraining(TrainingArguments newTraining) {
    return new DpoConfig(modelNameOrPath, refModelNameOrPath, datasetMixture, loss, maxLength, precomputeRefLogProbs,
        pairsPerForward, outputDir, newTraining, evalData, lora);
  }

  public static Builder builder(Path outputDir) {
    return new Builder(outputDir);
  }

  /**
   * A builder for a stage's settings ({@link DpoRun} fills in model, datasets, directories and seed), or for a
   * standalone run into {@value TrainingArguments#DEFAULT_OUTPUT_DIR}, transformers' default output directory.
   */
  public static Builder builder() {
    return new Builder(Path.of(TrainingArguments.DEFAULT_OUTPUT_DIR));
  }

  /** Builder; defaults are TRL v1.9's DPOConfig (beta 0.1, sigmoid, lr 1e-6, max_length 1024). */
  public static final class Builder {
    Path modelNameOrPath;
    Path refModelNameOrPath;
    DatasetMixture datasetMixture = DatasetMixture.ofFiles(List.of());
    double beta = 0.1;
    List<DpoLossType> lossTypes = List.of(DpoLossType.SIGMOID);
    List<Double> lossWeights;
    double labelSmoothing;
    int maxLength = 1024;
    boolean precomputeRefLogProbs;
    int pairsPerForward;
    Path outputDir;
    TrainingArguments.Builder training;
    LoraConfig lora;
    EvalData evalData = EvalData.NONE;

    Builder(Path outputDir) {
      this.outputDir = outputDir;
      // TRL turns gradient checkpointing on in its configs (transformers leaves it off)
      training = TrainingArguments.builder(RunDirs.besides(outputDir)).learningRate(1e-6).gradientCheckpointing(true);
    }

    public Builder modelNameOrPath(Path v) { modelNameOrPath = v; return this; }
    public Builder refModelNameOrPath(Path v) { refModelNameOrPath = v; return this; }
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
    public Builder beta(double v) { beta = v; return this; }
    public Builder lossTypes(List<DpoLossType> v) { lossTypes = v; return this; }
    public Builder lossWeights(List<Double> v) { lossWeights = v; return this; }
    public Builder labelSmoothing(double v) { labelSmoothing = v; return this; }
    public Builder maxLength(int v) { maxLength = v; return this; }
    public Builder precomputeRefLogProbs(boolean v) { precomputeRefLogProbs = v; return this; }
    public Builder pairsPerForward(int v) { pairsPerForward = v; return this; }
    /** LoRA adapters to train ({@code use_peft}); null (the default) trains every weight. */
    public Builder lora(LoraConfig v) { lora = v; return this; }
    /** {@code run_dir}; defaults to {@link RunDirs#besides} of the output directory. */
    public Builder runDir(Path v) { training.outputDir(v); return this; }
    public TrainingArguments.Builder training() { return training; }
    /** Evaluation pairs ({@code test_split_size} or {@code eval_dataset_path}); none by default. */
    public Builder evalData(EvalData v) { evalData = v; return this; }

    public DpoConfig build() {
      return new DpoConfig(modelNameOrPath, refModelNameOrPath, datasetMixture,
          new DpoLoss(beta, labelSmoothing, lossTypes, lossWeights), maxLength, precomputeRefLogProbs,
          pairsPerForward, outputDir, training.build(), evalData, lora);
    }
  }
}
