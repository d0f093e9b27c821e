package dev.zephyr.train.recipe;

import com.fasterxml.jackson.databind.JsonNode;
import dev.zephyr.core.InvalidInputException;
import dev.zephyr.core.config.ConfigKeys;
import dev.zephyr.core.config.TreeBinding;
import dev.zephyr.core.device.Devices;
import dev.zephyr.core.io.Json;
import dev.zephyr.core.model.lora.LoraConfig;
import dev.zephyr.core.tokenizer.LossMode;
import dev.zephyr.train.data.DatasetMixture;
import dev.zephyr.train.data.DatasetSource;
import dev.zephyr.train.dpo.DpoLossType;
import dev.zephyr.train.data.EvalData;
import dev.zephyr.train.data.HoldOut;
import dev.zephyr.train.loop.IntervalStrategy;
import dev.zephyr.train.loop.TrainingArguments;
import dev.zephyr.train.optim.OptimizerName;
import dev.zephyr.train.optim.SchedulerType;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Recipes: YAML files with alignment-handbook / TRL key names, and the Zephyr-7B-beta presets.
 *
 * <p>Datasets are local JSONL or Parquet files named by {@code dataset_path} or {@code dataset_name}, or an
 * alignment-handbook {@code dataset_mixture} ({@link DatasetMixture}: per dataset {@code id}, {@code config},
 * {@code split}, {@code columns}, {@code weight}; {@code seed}; {@code test_split_size}). Keys that only steer the
 * Python process ({@link RecipeKeys#PYTHON_ONLY}: {@code push_to_hub}, {@code report_to}, ...) pass with one WARN
 * line; keys that would change training but are not implemented yet ({@link RecipeKeys#NOT_SUPPORTED_YET}:
 * {@code bf16: true}, ...) and unknown keys are refused, naming the key, the file and line, and the closest known key.
 */
public final class Recipes {
  private static final Logger LOG = LoggerFactory.getLogger(Recipes.class);
  // The keys each parser reads, in documentation order; each TRL training key is spelled once, here, with how it
  // sets TrainingArguments. The parsers check that they read no key missing from these lists, so what
  // sftKeys()/dpoKeys() report (zephyr sft/dpo --help) is what the code accepts.
  private static final Map<String, TrainingKey> TRAINING = trainingKeys();
  static final List<String> TRAINING_KEYS = List.copyOf(TRAINING.keySet());
  // set by a pipeline for its stages (refused in a stage's options)
  private static final List<String> MODEL_AND_DATA_KEYS = List.of("model_name_or_path", "dataset_path",
      "dataset_name", "dataset_mixture", "output_dir", "run_dir");
  // the evaluation rows: a hold-out of the training rows or files of their own (a pipeline stage may set them)
  private static final List<String> EVAL_DATA_KEYS = List.of("test_split_size", "eval_dataset_path");
  private static final List<String> SFT_KEYS = List.of("max_length", "max_seq_length", "packing",
      "assistant_only_loss", "completion_only_loss");
  // TRL ModelConfig's PEFT keys; load_in_4bit/8bit (QLoRA) run as plain LoRA with a warning
  static final List<String> PEFT_KEYS = List.of("use_peft", "lora_r", "lora_alpha", "lora_dropout",
      "lora_target_modules", "lora_modules_to_save", "use_rslora", "load_in_4bit", "load_in_8bit");
  private static final List<String> DPO_KEYS = List.of("ref_model_name_or_path", "beta", "label_smoothing",
      "max_length", "loss_type", "loss_weights", "rpo_alpha", "precompute_ref_log_probs", "pairs_per_forward");
  private static final List<String> REWARD_KEYS = List.of("max_length", "center_rewards_coefficient");

  private Recipes() {}

  /**
   * The Zephyr-7B-beta dSFT hyper-parameters as published (lr 2e-5 cosine, warmup 0.1, 1 epoch, max_length 2048,
   * packing) for one device: per-device batch 16 with 4 accumulation steps, a global batch of 64 sequences. The
   * published run's global batch was 512 (per-device 8 x accumulation 4 x 16 A100s, the model card and the handbook
   * recipe of the time); to match it on one device, set gradient accumulation to 32 here.
   */
  public static SftConfig.Builder zephyr7bBetaSft(Path outputDir) {
    SftConfig.Builder b = SftConfig.builder(outputDir).maxLength(2048).packing(true).lossMode(LossMode.ALL);
    b.training().learningRate(2e-5).lrSchedulerType(SchedulerType.COSINE).warmupRatio(0.1).numTrainEpochs(1)
        .perDeviceTrainBatchSize(16).gradientAccumulationSteps(4).weightDecay(0).maxGradNorm(1.0).seed(42);
    return b;
  }

  /** The Zephyr-7B-beta DPO run as published: beta 0.1, lr 5e-7 linear, warmup 0.1, 3 epochs, global batch 32. */
  public static DpoConfig.Builder zephyr7bBetaDpo(Path outputDir) {
    DpoConfig.Builder b = DpoConfig.builder(outputDir).beta(0.1).lossTypes(List.of(DpoLossType.SIGMOID))
        .maxLength(1024);
    b.training().learningRate(5e-7).lrSchedulerType(SchedulerType.LINEAR).warmupRatio(0.1).numTrainEpochs(3)
        .perDeviceTrainBatchSize(8).gradientAccumulationSteps(4).weightDecay(0).seed(42);
    return b;
  }

  /** The current alignment-handbook DPO recipe: beta 0.01, lr 5e-7 cosine, warmup 0.1, 1 epoch, global 128. */
  public static DpoConfig.Builder handbookDpo(Path outputDir) {
    DpoConfig.Builder b = DpoConfig.builder(outputDir).beta(0.01).lossTypes(List.of(DpoLossType.SIGMOID))
        .maxLength(1024);
    b.training().learningRate(5e-7).lrSchedulerType(SchedulerType.COSINE).warmupRatio(0.1).numTrainEpochs(1)
        .perDeviceTrainBatchSize(8).gradientAccumulationSteps(16).weightDecay(0).seed(42);
    return b;
  }

  /**
   * The alignment-handbook's Zephyr-7B-beta DPO with LoRA ({@code recipes/zephyr-7b-beta/dpo/config_qlora.yaml}):
   * beta 0.01, lr 5e-6 cosine (ten times the full run's, as adapters starting at zero need), warmup 0.1, 1 epoch,
   * per-device batch 4 with 4 accumulation steps, {@code paged_adamw_32bit} (AdamW's update), gradient
   * checkpointing (so a 16-bit base is widened one layer at a time); adapters r 128,
   * alpha 128, dropout 0.05 on all seven projections. Its 4-bit quantisation of the base is not applied: the base
   * loads as stored. The reference is the base with the adapters off.
   */
  public static DpoConfig.Builder handbookDpoLora(Path outputDir) {
    DpoConfig.Builder b = handbookDpo(outputDir).lora(LoraConfig.of(128, 128).withDropout(0.05));
    b.training().learningRate(5e-6).perDeviceTrainBatchSize(4).gradientAccumulationSteps(4)
        .optim(OptimizerName.PAGED_ADAMW_32BIT).gradientCheckpointing(true);
    return b;
  }

  /**
   * The keys {@link #loadSft} reads, by group ({@code training}, {@code model and data}, {@code sft}); any other key
   * is refused unless {@link RecipeKeys} lets it pass.
   */
  public static Map<String, List<String>> sftKeys() {
    return keyGroups("sft", SFT_KEYS);
  }

  /**
   * The keys {@link #loadDpo} reads, by group ({@code training}, {@code model and data}, {@code dpo}); any other key
   * is refused unless {@link RecipeKeys} lets it pass.
   */
  public static Map<String, List<String>> dpoKeys() {
    return keyGroups("dpo", DPO_KEYS);
  }

  /**
   * The keys {@link #loadReward} reads, by group ({@code training}, {@code model and data}, {@code reward}); any other
   * key is refused unless {@link RecipeKeys} lets it pass.
   */
  public static Map<String, List<String>> rewardKeys() {
    return keyGroups("reward", REWARD_KEYS);
  }

  private static Map<String, List<String>> keyGroups(String kind, List<String> kindKeys) {
    Map<String, List<String>> groups = new LinkedHashMap<>();
    groups.put("training", TRAINING_KEYS);
    groups.put("model and data",
        java.util.stream.Stream.concat(MODEL_AND_DATA_KEYS.stream(), EVAL_DATA_KEYS.stream()).toList());
    groups.put(kind, kindKeys);
    groups.put("peft", PEFT_KEYS);
    return Collections.unmodifiableMap(groups);
  }

  /**
   * Loads an SFT recipe: the same as {@code Json.yaml().readValue(yaml.toFile(), SftConfig.class)}, which binds it
   * through {@link RecipeBinding.Sft}.
   */
  public static SftConfig loadSft(Path yaml) {
    return load(yaml, SftConfig.class);
  }

  /**
   * An SFT run from recipe options (a pipeline stage's keys, same names and checks as {@link #loadSft}); errors name
   * {@code source}.
   */
  public static SftConfig sft(Map<String, ?> options, String source) {
    return parseSft(Json.mapper().valueToTree(options), null, source, false);
  }

  /** A DPO run from recipe options (same names and checks as {@link #loadDpo}); errors name {@code source}. */
  public static DpoConfig dpo(Map<String, ?> options, String source) {
    return parseDpo(Json.mapper().valueToTree(options), null, source, false);
  }

  /** A reward-model run from recipe options (TRL {@code RewardConfig} names); errors name {@code source}. */
  public static RewardConfig reward(Map<String, ?> options, String source) {
    return parseReward(Json.mapper().valueToTree(options), null, source, false);
  }

  /**
   * The settings of a pipeline's SFT stage: the keys of {@link #loadSft} except those the pipeline sets (model,
   * data, output and run directories), which are refused; the rest is bound once, here.
   */
  public static SftConfig sftStage(Map<String, ?> options, String source) {
    return parseSft(stageNode(options, source), null, source, true);
  }

  /** The settings of a pipeline's DPO stage; see {@link #sftStage}. */
  public static DpoConfig dpoStage(Map<String, ?> options, String source) {
    return parseDpo(stageNode(options, source), null, source, true);
  }

  /** The settings of a pipeline's reward-model stage; see {@link #sftStage}. */
  public static RewardConfig rewardStage(Map<String, ?> options, String source) {
    return parseReward(stageNode(options, source), null, source, true);
  }

  private static JsonNode stageNode(Map<String, ?> options, String source) {
    for (String k : MODEL_AND_DATA_KEYS) {
      if (options.containsKey(k)) {
        throw InvalidInputException.field(source, k, "is set by the pipeline (the model comes from the previous"
            + " stage or 'student', data from 'dataset'/'preferences'/'comparisons', output under the work dir);"
            + " remove it");
      }
    }
    return Json.mapper().valueToTree(options);
  }

  /** Loads a reward-model recipe through {@link RecipeBinding.Reward}; see {@link #loadSft}. */
  public static RewardConfig loadReward(Path yaml) {
    return load(yaml, RewardConfig.class);
  }

  static RewardConfig parseReward(JsonNode n, Path file, String yaml, boolean stage) {
    Set<String> used = new TreeSet<>();
    RewardConfig.Builder b = stage ? RewardConfig.builder() : RewardConfig.builder(outputDir(n, yaml, used));
    common(n, yaml, used, b.training());
    b.evalData(evalData(n, yaml, used));
    if (!stage) {
      b.runDir(runDir(n, yaml, used, b.outputDir));
      b.modelNameOrPath(model(n, yaml, used)).datasets(plainFiles(datasets(n, yaml, used), yaml));
    }
    if (n.has("max_length")) {
      b.maxLength(intOf(n, "max_length", yaml, used));
    }
    if (n.hasNonNull("center_rewards_coefficient")) {
      b.centerRewardsCoefficient(doubleOf(n, "center_rewards_coefficient", yaml, used));
    }
    used.add("center_rewards_coefficient");
    checkKeys(n, file, yaml, used, rewardKeys());
    return built(b::build, yaml);
  }

  /** The files of a mixture that selects nothing (reward training reads whole comparison files); checked when read. */
  static List<Path> plainFiles(DatasetMixture mixture, String yaml) {
    List<Path> files = new ArrayList<>();
    for (DatasetSource s : mixture.datasets()) {
      if (s.weight() != null || (s.columns() != null && !s.columns().isEmpty()) || s.config() != null) {
        throw InvalidInputException.field(yaml, "dataset_mixture", "reward training reads whole comparison files;"
            + " weight, columns and config are not supported here");
      }
      files.add(Path.of(s.id()));
    }
    return files;
  }

  static SftConfig parseSft(JsonNode n, Path file, String yaml, boolean stage) {
    Set<String> used = new TreeSet<>();
    SftConfig.Builder b = stage ? SftConfig.builder() : SftConfig.builder(outputDir(n, yaml, used));
    common(n, yaml, used, b.training());
    // the evaluation rows first: they include dataset_mixture.test_split_size, checked with the recipe's name
    b.evalData(evalData(n, yaml, used));
    if (!stage) {
      b.runDir(runDir(n, yaml, used, b.outputDir));
      b.modelNameOrPath(model(n, yaml, used)).datasetMixture(datasets(n, yaml, used));
    }
    if (n.has("max_length")) {
      b.maxLength(intOf(n, "max_length", yaml, used));
    } else if (n.has("max_seq_length")) {
      b.maxLength(intOf(n, "max_seq_length", yaml, used));
    }
    if (n.has("packing")) {
      b.packing(n.get("packing").asBoolean());
      used.add("packing");
    }
    boolean assistantOnly = n.path("assistant_only_loss").asBoolean(false);
    boolean completionOnly = n.path("completion_only_loss").asBoolean(false);
    used.add("assistant_only_loss");
    used.add("completion_only_loss");
    b.lossMode(assistantOnly ? LossMode.ASSISTANT_ONLY : completionOnly ? LossMode.COMPLETION_ONLY : LossMode.ALL);
    b.lora(lora(n, yaml, used));
    checkKeys(n, file, yaml, used, sftKeys());
    return built(b::build, yaml);
  }

  /** Loads a DPO recipe through {@link RecipeBinding.Dpo}; see {@link #loadSft}. */
  public static DpoConfig loadDpo(Path yaml) {
    return load(yaml, DpoConfig.class);
  }

  static DpoConfig parseDpo(JsonNode n, Path file, String yaml, boolean stage) {
    Set<String> used = new TreeSet<>();
    DpoConfig.Builder b = stage ? DpoConfig.builder() : DpoConfig.builder(outputDir(n, yaml, used));
    common(n, yaml, used, b.training());
    // the evaluation rows first: they include dataset_mixture.test_split_size, checked with the recipe's name
    b.evalData(evalData(n, yaml, used));
    if (!stage) {
      b.runDir(runDir(n, yaml, used, b.outputDir));
      b.modelNameOrPath(model(n, yaml, used)).datasetMixture(datasets(n, yaml, used));
    }
    if (n.hasNonNull("ref_model_name_or_path")) {
      b.refModelNameOrPath(Path.of(n.get("ref_model_name_or_path").asText()));
    }
    used.add("ref_model_name_or_path");
    if (n.has("beta")) {
      b.beta(doubleOf(n, "beta", yaml, used));
    }
    if (n.has("label_smoothing")) {
      b.labelSmoothing(doubleOf(n, "label_smoothing", yaml, used));
    }
    if (n.has("max_length")) {
      b.maxLength(intOf(n, "max_length", yaml, used));
    }
    if (n.has("loss_type")) {
      List<DpoLossType> types = new ArrayList<>();
      JsonNode lt = n.get("loss_type");
      try {
        if (lt.isArray()) {
          lt.forEach(x -> types.add(DpoLossType.fromTrlName(x.asText())));
        } else {
          types.add(DpoLossType.fromTrlName(lt.asText()));
        }
      } catch (IllegalArgumentException e) {
        throw InvalidInputException.field(yaml.toString(), "loss_type", e.getMessage());
      }
      b.lossTypes(types);
      used.add("loss_type");
    }
    if (n.has("loss_weights") && !n.get("loss_weights").isNull()) {
      List<Double> w = new ArrayList<>();
      n.get("loss_weights").forEach(x -> w.add(x.asDouble()));
      b.lossWeights(w);
    }
    used.add("loss_weights");
    if (n.has("rpo_alpha") && !n.get("rpo_alpha").isNull()) {
      // TRL <= 0.28: rpo_alpha is the weight of an extra sft term
      b.lossTypes(List.of(DpoLossType.SIGMOID, DpoLossType.SFT))
          .lossWeights(List.of(1.0, n.get("rpo_alpha").asDouble()));
    }
    used.add("rpo_alpha");
    b.precomputeRefLogProbs(n.path("precompute_ref_log_probs").asBoolean(false));
    used.add("precompute_ref_log_probs");
    b.pairsPerForward(n.path("pairs_per_forward").asInt(0));
    used.add("pairs_per_forward");
    b.lora(lora(n, yaml, used));
    checkKeys(n, file, yaml, used, dpoKeys());
    return built(b::build, yaml);
  }

  /**
   * TRL's PEFT keys: with {@code use_peft: true} a {@link LoraConfig} with TRL's defaults (r 16, alpha 32, dropout
   * 0.05, PEFT's Llama targets q_proj and v_proj); otherwise null. Quantised loading is not implemented: a QLoRA
   * recipe runs as LoRA over the checkpoint's weights, said once at WARN.
   */
  static LoraConfig lora(JsonNode n, String yaml, Set<String> used) {
    used.addAll(PEFT_KEYS);
    boolean usePeft = n.hasNonNull("use_peft") && boolOf(n.get("use_peft"), "use_peft", yaml);
    for (String q : List.of("load_in_4bit", "load_in_8bit")) {
      if (n.hasNonNull(q) && boolOf(n.get(q), q, yaml)) {
        LOG.warn("{}: {} is not applied: {}-bit quantisation is not implemented, the base weights stay as loaded{}",
            yaml, q, q.equals("load_in_4bit") ? 4 : 8, usePeft ? " and LoRA trains over them" : "");
      }
    }
    if (!usePeft) {
      List<String> unused = PEFT_KEYS.stream().filter(k -> k.startsWith("lora_") && n.hasNonNull(k)).toList();
      if (!unused.isEmpty()) {
        LOG.warn("{}: {} have no effect without use_peft: true (every weight is trained)", yaml, unused);
      }
      return null;
    }
    int r = n.hasNonNull("lora_r") ? intOf(n, "lora_r", yaml, used) : 16;
    double alpha = n.hasNonNull("lora_alpha") ? doubleOf(n, "lora_alpha", yaml, used) : 32;
    double dropout = n.hasNonNull("lora_dropout") ? doubleOf(n, "lora_dropout", yaml, used) : 0.05;
    List<String> targets = n.hasNonNull("lora_target_modules") ? names(n.get("lora_target_modules"))
        : List.of("q_proj", "v_proj");
    List<String> toSave = n.hasNonNull("lora_modules_to_save") ? names(n.get("lora_modules_to_save")) : List.of();
    boolean rslora = n.hasNonNull("use_rslora") && boolOf(n.get("use_rslora"), "use_rslora", yaml);
    try {
      return new LoraConfig(r, alpha, dropout, targets, rslora, toSave, null);
    } catch (InvalidInputException e) {
      String field = e.field() == null ? null : e.field().equals("r") ? "lora_r"
          : e.field().startsWith("lora_") ? e.field() : "lora_" + e.field();
      throw InvalidInputException.field(yaml, field, e.reason());
    }
  }

  /** A YAML list of names, or one name (TRL also takes a single string such as all-linear). */
  private static List<String> names(JsonNode v) {
    List<String> out = new ArrayList<>();
    if (v.isArray()) {
      v.forEach(x -> out.add(x.asText()));
    } else {
      out.add(v.asText());
    }
    return out;
  }

  /** Builds a config record; what it refuses is an error in the recipe {@code yaml}. */
  private static <T> T built(java.util.function.Supplier<T> build, String yaml) {
    try {
      return build.get();
    } catch (InvalidInputException e) {
      throw inRecipe(e, yaml);
    } catch (IllegalArgumentException e) {
      throw new InvalidInputException(yaml, 0, null, e.getMessage());
    }
  }

  /**
   * A value that the config records refused while building (they do not know the file): the same error, naming the
   * recipe. Errors that already name a file are kept as they are.
   */
  private static InvalidInputException inRecipe(InvalidInputException e, String yaml) {
    boolean unnamed = e.source() == null || e.source().equals(TrainingArguments.SOURCE)
        || e.source().equals(SftConfig.SOURCE) || e.source().equals(DpoConfig.SOURCE)
        || e.source().equals(RewardConfig.SOURCE);
    return unnamed ? e.withSource(yaml) : e;
  }

  /** A recipe file bound by Jackson, which hands it to the key table through {@link RecipeBinding}. */
  private static <T> T load(Path yaml, Class<T> type) {
    return TreeBinding.readFile(yaml, type, "recipe keys");
  }

  static Path outputDir(JsonNode n, String yaml, Set<String> used) {
    used.add("output_dir");
    if (!n.hasNonNull("output_dir")) {
      throw InvalidInputException.field(yaml, "output_dir", "required (where the trained model is written)");
    }
    return Path.of(n.get("output_dir").asText());
  }

  /** {@code run_dir} (zephyr's own key), or the default beside {@code output_dir}. */
  static Path runDir(JsonNode n, String yaml, Set<String> used, Path outputDir) {
    used.add("run_dir");
    if (!n.hasNonNull("run_dir")) {
      return RunDirs.besides(outputDir);
    }
    Path runDir = Path.of(n.get("run_dir").asText());
    try {
      RunDirs.check(outputDir, runDir);
    } catch (IllegalArgumentException e) {
      throw InvalidInputException.field(yaml, "run_dir", e.getMessage());
    }
    return runDir;
  }

  private static Path model(JsonNode n, String yaml, Set<String> used) {
    used.add("model_name_or_path");
    if (!n.hasNonNull("model_name_or_path")) {
      throw InvalidInputException.field(yaml.toString(), "model_name_or_path", "required (a local model directory)");
    }
    return Path.of(n.get("model_name_or_path").asText());
  }

  /** {@code dataset_path} / {@code dataset_name} (whole files, in order), or a {@code dataset_mixture}. */
  static DatasetMixture datasets(JsonNode n, String yaml, Set<String> used) {
    List<Path> files = new ArrayList<>();
    for (String k : List.of("dataset_path", "dataset_name")) {
      used.add(k);
      if (n.hasNonNull(k)) {
        files.add(Path.of(n.get(k).asText()));
      }
    }
    used.add("dataset_mixture");
    if (n.hasNonNull("dataset_mixture")) {
      if (!files.isEmpty()) {
        // the handbook would drop dataset_name silently here
        throw InvalidInputException.field(yaml, "dataset_mixture",
            "set either dataset_mixture or dataset_path/dataset_name, not both");
      }
      return DatasetMixture.fromJson(n.get("dataset_mixture"), yaml);
    }
    if (files.isEmpty()) {
      throw InvalidInputException.field(yaml, "dataset_path",
          "required: a local JSONL or Parquet file (dataset_path, dataset_name or dataset_mixture.datasets[].id)");
    }
    return DatasetMixture.ofFiles(files);
  }

  /** How one training key sets the builder from its recipe value. */
  @FunctionalInterface
  private interface TrainingKey {
    void apply(TrainingArguments.Builder t, Value v);
  }

  /** One recipe value with what errors need to name it. */
  private record Value(JsonNode node, String key, String source) {
    double asDouble() {
      // YAML reads 2.0e-5 as a number but "2e-5" may come as text
      try {
        return node.isNumber() ? node.asDouble() : Double.parseDouble(node.asText());
      } catch (NumberFormatException e) {
        throw InvalidInputException.field(source, key, "expected a number, found '" + node.asText() + "'");
      }
    }

    int asInt() {
      if (node.isIntegralNumber()) {
        return node.asInt();
      }
      try {
        return Integer.parseInt(node.asText().trim());
      } catch (NumberFormatException e) {
        throw InvalidInputException.field(source, key, "expected an integer, found '" + node.asText() + "'");
      }
    }

    boolean asBoolean() {
      return boolOf(node, key, source);
    }
  }

  private static Map<String, TrainingKey> trainingKeys() {
    Map<String, TrainingKey> m = new LinkedHashMap<>();
    m.put("learning_rate", (t, v) -> t.learningRate(v.asDouble()));
    m.put("lr_scheduler_type", (t, v) -> {
      try {
        t.lrSchedulerType(SchedulerType.fromHfName(v.node().asText()));
      } catch (IllegalArgumentException ex) {
        throw InvalidInputException.field(v.source(), v.key(), ex.getMessage());
      }
    });
    m.put("warmup_ratio", (t, v) -> t.warmupRatio(v.asDouble()));
    m.put("warmup_steps", (t, v) -> {
      // transformers 5 accepts a float < 1 here as a ratio
      double w = v.asDouble();
      if (w > 0 && w < 1) {
        t.warmupRatio(w);
      } else {
        t.warmupSteps((long) w);
      }
    });
    m.put("num_train_epochs", (t, v) -> t.numTrainEpochs(v.asDouble()));
    m.put("max_steps", (t, v) -> t.maxSteps(v.asInt()));
    m.put("per_device_train_batch_size", (t, v) -> t.perDeviceTrainBatchSize(v.asInt()));
    m.put("gradient_accumulation_steps", (t, v) -> t.gradientAccumulationSteps(v.asInt()));
    m.put("max_grad_norm", (t, v) -> t.maxGradNorm(v.asDouble()));
    m.put("weight_decay", (t, v) -> t.weightDecay(v.asDouble()));
    m.put("adam_beta1", (t, v) -> t.adamBeta1(v.asDouble()));
    m.put("adam_beta2", (t, v) -> t.adamBeta2(v.asDouble()));
    m.put("adam_epsilon", (t, v) -> t.adamEpsilon(v.asDouble()));
    m.put("optim", (t, v) -> {
      try {
        t.optim(OptimizerName.fromHfName(v.node().asText()));
      } catch (IllegalArgumentException ex) {
        throw InvalidInputException.field(v.source(), v.key(), ex.getMessage());
      }
    });
    m.put("seed", (t, v) -> t.seed(v.asInt()));
    m.put("logging_steps", (t, v) -> t.loggingSteps(v.asInt()));
    m.put("save_steps", (t, v) -> t.saveSteps(v.asInt()));
    m.put("save_total_limit", (t, v) -> t.saveTotalLimit(v.asInt()));
    m.put("disable_tqdm", (t, v) -> t.disableTqdm(v.asBoolean()));
    m.put("gradient_checkpointing", (t, v) -> t.gradientCheckpointing(v.asBoolean()));
    m.put("allow_config_change", (t, v) -> t.allowConfigChange(v.asBoolean()));
    TrainingKey evalStrategy = (t, v) -> {
      try {
        // YAML 1.1 reads an unquoted no as false
        t.evalStrategy(v.node().isBoolean() && !v.node().asBoolean() ? IntervalStrategy.NO
            : IntervalStrategy.fromHfName(v.node().asText()));
      } catch (IllegalArgumentException ex) {
        throw InvalidInputException.field(v.source(), v.key(), ex.getMessage());
      }
    };
    m.put("eval_strategy", evalStrategy);
    m.put("evaluation_strategy", evalStrategy); // transformers' older name
    m.put("eval_steps", (t, v) -> t.evalSteps(v.asDouble()));
    m.put("per_device_eval_batch_size", (t, v) -> t.perDeviceEvalBatchSize(v.asInt()));
    m.put("neftune_noise_alpha", (t, v) -> t.neftuneNoiseAlpha(v.asDouble()));
    m.put("bf16", (t, v) -> t.bf16(v.asBoolean()));
    // zephyr's own key: checked against the machine here, so a missing GPU fails before anything loads
    m.put("device", (t, v) -> t.device(Devices.parse(v.node().asText(), v.source(), v.key())));
    return Collections.unmodifiableMap(m);
  }

  /**
   * The evaluation rows: {@code test_split_size} (top level, or inside {@code dataset_mixture} as the handbook writes
   * it, split with {@code dataset_mixture.seed}, default 0), or {@code eval_dataset_path} (a file or a list).
   */
  private static EvalData evalData(JsonNode n, String yaml, Set<String> used) {
    used.add("test_split_size");
    used.add("eval_dataset_path");
    JsonNode mixture = n.path("dataset_mixture");
    JsonNode top = n.get("test_split_size");
    JsonNode nested = mixture.get("test_split_size");
    boolean hasTop = top != null && !top.isNull();
    boolean hasNested = nested != null && !nested.isNull();
    if (hasTop && hasNested) {
      throw InvalidInputException.field(yaml, "test_split_size", "given both at the top level and in"
          + " dataset_mixture; keep one");
    }
    List<Path> files = new ArrayList<>();
    JsonNode evalPath = n.path("eval_dataset_path");
    if (evalPath.isTextual()) {
      files.add(Path.of(evalPath.asText()));
    } else if (evalPath.isArray()) {
      for (JsonNode f : evalPath) {
        if (!f.isTextual()) {
          throw InvalidInputException.field(yaml, "eval_dataset_path", "expected paths, found " + f);
        }
        files.add(Path.of(f.asText()));
      }
    } else if (!evalPath.isMissingNode() && !evalPath.isNull()) {
      throw InvalidInputException.field(yaml, "eval_dataset_path", "expected a path or a list of paths");
    }
    if (!hasTop && !hasNested) {
      return EvalData.files(files);
    }
    JsonNode size = hasTop ? top : nested;
    String key = hasTop ? "test_split_size" : "dataset_mixture.test_split_size";
    // the split's seed is the mixture's, as in the handbook's get_dataset (not the training seed)
    if (!size.isNumber()) {
      throw InvalidInputException.field(yaml, key, "expected a fraction in (0, 1) or a row count, found " + size);
    }
    JsonNode seed = mixture.path("seed");
    if (!seed.isMissingNode() && !seed.isIntegralNumber()) {
      throw InvalidInputException.field(yaml, "dataset_mixture.seed", "expected an integer, found " + seed);
    }
    try {
      return new EvalData(new HoldOut(size.asDouble(), seed.asLong(HoldOut.DEFAULT_SEED)), files);
    } catch (InvalidInputException e) {
      throw e.withSource(yaml);
    }
  }

  static void common(JsonNode n, String yaml, Set<String> used, TrainingArguments.Builder t) {
    for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      TrainingKey key = TRAINING.get(e.getKey());
      if (key == null || e.getValue().isNull()) {
        continue;
      }
      used.add(e.getKey());
      key.apply(t, new Value(e.getValue(), e.getKey(), yaml));
    }
  }

  static double doubleOf(JsonNode n, String k, String yaml, Set<String> used) {
    used.add(k);
    return new Value(n.get(k), k, yaml).asDouble();
  }

  static boolean boolOf(JsonNode v, String k, String yaml) {
    if (v.isBoolean()) {
      return v.asBoolean();
    }
    String text = v.asText().trim();
    if (text.equalsIgnoreCase("true") || text.equalsIgnoreCase("false")) {
      return Boolean.parseBoolean(text);
    }
    throw InvalidInputException.field(yaml, k, "expected true or false, found '" + v.asText() + "'");
  }

  static int intOf(JsonNode n, String k, String yaml, Set<String> used) {
    used.add(k);
    return new Value(n.get(k), k, yaml).asInt();
  }

  /**
   * Checks every key of the recipe that the parser did not read: Python-stack keys pass with one WARN line naming
   * them, keys TRL removed pass with a WARN each, keys not supported yet are refused unless set to their harmless
   * value, and anything else is refused as unknown with the closest known key.
   *
   * @param file the recipe file, searched for the line of a refused key; null for options built in code
   */
  static void checkKeys(JsonNode n, Path file, String yaml, Set<String> used,
      Map<String, List<String>> declared) {
    Set<String> undeclared = new TreeSet<>(used);
    declared.values().forEach(undeclared::removeAll);
    if (!undeclared.isEmpty()) {
      throw new IllegalStateException("recipe parser reads keys missing from its key list: " + undeclared);
    }
    List<String> pythonOnly = new ArrayList<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      String k = e.getKey();
      if (used.contains(k)) {
        continue;
      }
      RecipeKeys.Harmless harmless = RecipeKeys.NOT_SUPPORTED_YET.get(k);
      if (RecipeKeys.PYTHON_ONLY.contains(k)) {
        pythonOnly.add(k);
      } else if (RecipeKeys.REMOVED_IN_TRL.containsKey(k)) {
        LOG.warn("{}: {} was {}", yaml, k, RecipeKeys.REMOVED_IN_TRL.get(k));
      } else if (RecipeKeys.MIXED_PRECISION.contains(k)) {
        if (e.getValue().asBoolean(true)) {
          LOG.warn("{}: {}: true computes in float32 here (bf16: true is the 16-bit arithmetic zephyr has); weights"
              + " that do not train stay at 2 bytes when the checkpoint is 16-bit", yaml, k);
        }
      } else if (harmless != null) {
        if (!harmless.accepts(e.getValue())) {
          throw new InvalidInputException(yaml, ConfigKeys.lineOf(file, k), k, "not supported yet, found "
              + e.getValue() + (harmless.description() == null ? "; remove the key"
                  : "; only " + harmless.description() + " is accepted"));
        }
      } else {
        Set<String> known = new TreeSet<>(RecipeKeys.PYTHON_ONLY);
        declared.values().forEach(known::addAll);
        known.addAll(RecipeKeys.NOT_SUPPORTED_YET.keySet());
        known.addAll(RecipeKeys.REMOVED_IN_TRL.keySet());
        known.addAll(RecipeKeys.MIXED_PRECISION);
        throw ConfigKeys.unknown(yaml, ConfigKeys.lineOf(file, k), k, known);
      }
    }
    if (!pythonOnly.isEmpty()) {
      LOG.warn("{}: Python-stack keys with no meaning here, ignored: {}", yaml, pythonOnly);
    }
    LOG.info("{}: recipe keys read: {}", yaml, used);
  }
}
