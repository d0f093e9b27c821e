package dev.zephyr.train.recipe;

import com.fasterxml.jackson.databind.JsonNode;
import dev.zephyr.core.InvalidInputException;
import dev.zephyr.core.io.Json;
import dev.zephyr.core.tokenizer.LossMode;
import dev.zephyr.train.dpo.DpoLossType;
import dev.zephyr.train.data.EvalData;
import dev.zephyr.train.data.HoldOut;
import dev.zephyr.train.loop.IntervalStrategy;
import dev.zephyr.train.loop.TrainingArguments;
import dev.zephyr.train.optim.SchedulerType;
import java.io.IOException;
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
 * <p>Datasets are local JSONL files named by {@code dataset_path}, {@code dataset_name} or the {@code id}s of
 * {@code dataset_mixture.datasets}. Keys that only matter to the Python stack ({@code bf16}, {@code hub_model_id},
 * ...) are accepted and listed in the log as ignored.
 */
public final class Recipes {
  private static final Logger LOG = LoggerFactory.getLogger(Recipes.class);
  // The keys each parser reads, in documentation order. The parsers check that they read no key missing here, so
  // what sftKeys()/dpoKeys() report (zephyr sft/dpo --help) is what the code accepts.
  private static final List<String> TRAINING_KEYS = List.of("learning_rate", "lr_scheduler_type",
      "warmup_ratio", "warmup_steps", "num_train_epochs", "max_steps", "per_device_train_batch_size",
      "gradient_accumulation_steps", "max_grad_norm", "weight_decay", "adam_beta1", "adam_beta2", "adam_epsilon",
      "seed", "logging_steps", "save_steps", "save_total_limit", "disable_tqdm", "gradient_checkpointing",
      "allow_config_change", "eval_strategy", "eval_steps", "per_device_eval_batch_size", "neftune_noise_alpha");
  private static final List<String> MODEL_AND_DATA_KEYS = List.of("model_name_or_path", "dataset_path",
      "dataset_name", "dataset_mixture", "test_split_size", "eval_dataset_path", "output_dir", "run_dir");
  private static final List<String> SFT_KEYS = List.of("max_length", "max_seq_length", "packing",
      "assistant_only_loss", "completion_only_loss");
  private static final List<String> DPO_KEYS = List.of("ref_model_name_or_path", "beta", "label_smoothing",
      "max_length", "loss_type", "loss_weights", "rpo_alpha", "precompute_ref_log_probs", "pairs_per_forward");

  private Recipes() {}

  /** The Zephyr-7B-beta dSFT run as published: lr 2e-5 cosine, warmup 0.1, 1 epoch, max_length 2048, global 512 → here 16 x 4. */
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
   * The keys {@link #loadSft} reads, by group ({@code training}, {@code model and data}, {@code sft}); any other key
   * is accepted and logged as having no effect.
   */
  public static Map<String, List<String>> sftKeys() {
    return keyGroups("sft", SFT_KEYS);
  }

  /**
   * The keys {@link #loadDpo} reads, by group ({@code training}, {@code model and data}, {@code dpo}); any other key
   * is accepted and logged as having no effect.
   */
  public static Map<String, List<String>> dpoKeys() {
    return keyGroups("dpo", DPO_KEYS);
  }

  private static Map<String, List<String>> keyGroups(String kind, List<String> kindKeys) {
    Map<String, List<String>> groups = new LinkedHashMap<>();
    groups.put("training", TRAINING_KEYS);
    groups.put("model and data", MODEL_AND_DATA_KEYS);
    groups.put(kind, kindKeys);
    return Collections.unmodifiableMap(groups);
  }

  /** Loads an SFT recipe. */
  public static SftConfig loadSft(Path yaml) {
    return parseSft(read(yaml), yaml.toString());
  }

  /**
   * An SFT run from recipe options (a pipeline stage's keys, same names and checks as {@link #loadSft}); errors name
   * {@code source}.
   */
  public static SftConfig sft(Map<String, ?> options, String source) {
    return parseSft(Json.mapper().valueToTree(options), source);
  }

  /** A DPO run from recipe options (same names and checks as {@link #loadDpo}); errors name {@code source}. */
  public static DpoConfig dpo(Map<String, ?> options, String source) {
    return parseDpo(Json.mapper().valueToTree(options), source);
  }

  private static SftConfig parseSft(JsonNode n, String yaml) {
    Set<String> used = new TreeSet<>();
    Path outputDir = outputDir(n, yaml, used);
    SftConfig.Builder b = SftConfig.builder(outputDir);
    common(n, yaml, used, b.training());
    b.runDir(runDir(n, yaml, used, outputDir));
    b.modelNameOrPath(model(n, yaml, used)).datasets(datasets(n, yaml, used));
    b.evalData(evalData(n, yaml, used));
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
    logIgnored(n, yaml, used, sftKeys());
    return built(b::build, yaml);
  }

  /** Loads a DPO recipe. */
  public static DpoConfig loadDpo(Path yaml) {
    return parseDpo(read(yaml), yaml.toString());
  }

  private static DpoConfig parseDpo(JsonNode n, String yaml) {
    Set<String> used = new TreeSet<>();
    Path outputDir = outputDir(n, yaml, used);
    DpoConfig.Builder b = DpoConfig.builder(outputDir);
    common(n, yaml, used, b.training());
    b.runDir(runDir(n, yaml, used, outputDir));
    b.modelNameOrPath(model(n, yaml, used)).datasets(datasets(n, yaml, used));
    b.evalData(evalData(n, yaml, used));
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
    if (n.has("max_prompt_length")) {
      // not marked used: it has no effect, so it is also listed with the other keys without effect
      LOG.warn("{}: max_prompt_length was removed in TRL 0.29; only max_length (keep_start) applies", yaml);
    }
    logIgnored(n, yaml, used, dpoKeys());
    return built(b::build, yaml);
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
        || e.source().equals(SftConfig.SOURCE) || e.source().equals(DpoConfig.SOURCE);
    return unnamed ? e.withSource(yaml) : e;
  }

  private static JsonNode read(Path yaml) {
    try {
      JsonNode n = Json.yaml().readTree(yaml.toFile());
      if (n == null || !n.isObject()) {
        throw new InvalidInputException(yaml.toString(), 0, null, "expected a YAML mapping of recipe keys");
      }
      return n;
    } catch (IOException e) {
      throw new InvalidInputException(yaml.toString(), 0, null, "cannot read YAML: " + e.getMessage(), e);
    }
  }

  private static Path outputDir(JsonNode n, String yaml, Set<String> used) {
    used.add("output_dir");
    if (!n.hasNonNull("output_dir")) {
      throw InvalidInputException.field(yaml, "output_dir", "required (where the trained model is written)");
    }
    return Path.of(n.get("output_dir").asText());
  }

  /** {@code run_dir} (zephyr's own key), or the default beside {@code output_dir}. */
  private static Path runDir(JsonNode n, String yaml, Set<String> used, Path outputDir) {
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

  private static List<Path> datasets(JsonNode n, String yaml, Set<String> used) {
    List<Path> out = new ArrayList<>();
    for (String k : List.of("dataset_path", "dataset_name")) {
      used.add(k);
      if (n.hasNonNull(k)) {
        out.add(Path.of(n.get(k).asText()));
      }
    }
    used.add("dataset_mixture");
    for (JsonNode d : n.path("dataset_mixture").path("datasets")) {
      if (!d.path("id").isTextual()) {
        throw InvalidInputException.field(yaml.toString(), "dataset_mixture.datasets.id", "expected a path");
      }
      out.add(Path.of(d.get("id").asText()));
    }
    if (out.isEmpty()) {
      throw InvalidInputException.field(yaml.toString(), "dataset_path",
          "required: a local JSONL file (dataset_path, dataset_name or dataset_mixture.datasets[].id)");
    }
    return out;
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

  private static void common(JsonNode n, String yaml, Set<String> used, TrainingArguments.Builder t) {
    String src = yaml.toString();
    for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      String k = e.getKey();
      JsonNode v = e.getValue();
      if (!TRAINING_KEYS.contains(k) || v.isNull()) {
        continue;
      }
      used.add(k);
      switch (k) {
        case "learning_rate" -> t.learningRate(doubleOf(n, k, yaml, used));
        case "lr_scheduler_type" -> {
          try {
            t.lrSchedulerType(SchedulerType.fromHfName(v.asText()));
          } catch (IllegalArgumentException ex) {
            throw InvalidInputException.field(src, k, ex.getMessage());
          }
        }
        case "warmup_ratio" -> t.warmupRatio(doubleOf(n, k, yaml, used));
        case "warmup_steps" -> {
          // transformers 5 accepts a float < 1 here as a ratio
          double w = doubleOf(n, k, yaml, used);
          if (w > 0 && w < 1) {
            t.warmupRatio(w);
          } else {
            t.warmupSteps((long) w);
          }
        }
        case "num_train_epochs" -> t.numTrainEpochs(doubleOf(n, k, yaml, used));
        case "max_steps" -> t.maxSteps(intOf(n, k, yaml, used));
        case "per_device_train_batch_size" -> t.perDeviceTrainBatchSize(intOf(n, k, yaml, used));
        case "gradient_accumulation_steps" -> t.gradientAccumulationSteps(intOf(n, k, yaml, used));
        case "max_grad_norm" -> t.maxGradNorm(doubleOf(n, k, yaml, used));
        case "weight_decay" -> t.weightDecay(doubleOf(n, k, yaml, used));
        case "adam_beta1" -> t.adamBeta1(doubleOf(n, k, yaml, used));
        case "adam_beta2" -> t.adamBeta2(doubleOf(n, k, yaml, used));
        case "adam_epsilon" -> t.adamEpsilon(doubleOf(n, k, yaml, used));
        case "seed" -> t.seed(intOf(n, k, yaml, used));
        case "logging_steps" -> t.loggingSteps(intOf(n, k, yaml, used));
        case "save_steps" -> t.saveSteps(intOf(n, k, yaml, used));
        case "save_total_limit" -> t.saveTotalLimit(intOf(n, k, yaml, used));
        case "disable_tqdm" -> t.disableTqdm(boolOf(v, k, src));
        case "gradient_checkpointing" -> t.gradientCheckpointing(boolOf(v, k, src));
        case "allow_config_change" -> t.allowConfigChange(boolOf(v, k, src));
        case "eval_strategy" -> {
          try {
            // YAML 1.1 reads an unquoted no as false
            t.evalStrategy(v.isBoolean() && !v.asBoolean() ? IntervalStrategy.NO
                : IntervalStrategy.fromHfName(v.asText()));
          } catch (IllegalArgumentException ex) {
            throw InvalidInputException.field(src, k, ex.getMessage());
          }
        }
        case "eval_steps" -> t.evalSteps(doubleOf(n, k, yaml, used));
        case "per_device_eval_batch_size" -> t.perDeviceEvalBatchSize(intOf(n, k, yaml, used));
        case "neftune_noise_alpha" -> t.neftuneNoiseAlpha(doubleOf(n, k, yaml, used));
        default -> throw new IllegalStateException(k);
      }
    }
  }

  private static double doubleOf(JsonNode n, String k, String yaml, Set<String> used) {
    used.add(k);
    JsonNode v = n.get(k);
    // YAML reads 2.0e-5 as a number but "2e-5" may come as text
    try {
      return v.isNumber() ? v.asDouble() : Double.parseDouble(v.asText());
    } catch (NumberFormatException e) {
      throw InvalidInputException.field(yaml.toString(), k, "expected a number, found '" + v.asText() + "'");
    }
  }

  private static boolean boolOf(JsonNode v, String k, String yaml) {
    if (v.isBoolean()) {
      return v.asBoolean();
    }
    String text = v.asText().trim();
    if (text.equalsIgnoreCase("true") || text.equalsIgnoreCase("false")) {
      return Boolean.parseBoolean(text);
    }
    throw InvalidInputException.field(yaml, k, "expected true or false, found '" + v.asText() + "'");
  }

  private static int intOf(JsonNode n, String k, String yaml, Set<String> used) {
    used.add(k);
    JsonNode v = n.get(k);
    if (v.isIntegralNumber()) {
      return v.asInt();
    }
    try {
      return Integer.parseInt(v.asText().trim());
    } catch (NumberFormatException e) {
      throw InvalidInputException.field(yaml.toString(), k, "expected an integer, found '" + v.asText() + "'");
    }
  }

  private static void logIgnored(JsonNode n, String yaml, Set<String> used, Map<String, List<String>> declared) {
    Set<String> undeclared = new TreeSet<>(used);
    declared.values().forEach(undeclared::removeAll);
    if (!undeclared.isEmpty()) {
      throw new IllegalStateException("recipe parser reads keys missing from its key list: " + undeclared);
    }
    List<String> ignored = new ArrayList<>();
    n.fieldNames().forEachRemaining(k -> {
      if (!used.contains(k)) {
        ignored.add(k);
      }
    });
    if (!ignored.isEmpty()) {
      LOG.info("{}: keys without effect here (Python-stack or hub options): {}", yaml, ignored);
    }
  }
}
