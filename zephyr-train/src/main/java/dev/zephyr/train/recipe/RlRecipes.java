package dev.zephyr.train.recipe;

import com.fasterxml.jackson.databind.JsonNode;
import dev.zephyr.core.InvalidInputException;
import dev.zephyr.core.config.TreeBinding;
import dev.zephyr.core.io.Json;
import dev.zephyr.train.loop.TrainingArguments;
import dev.zephyr.train.rl.KlEstimator;
import dev.zephyr.train.rl.OnPolicyConfig;
import dev.zephyr.train.rl.PpoConfig;
import dev.zephyr.train.rl.RlBinding;
import dev.zephyr.train.rl.RlooConfig;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * PPO and RLOO recipes with TRL's {@code PPOConfig} / {@code RLOOConfig} keys, read with the same checks as the other
 * recipes ({@link Recipes}): the training keys, then the algorithm's, and any other key refused by name with a
 * did-you-mean; TRL's PEFT keys ({@code use_peft}, {@code lora_r}...) as the SFT and DPO recipes read them. The policy
 * is {@code model_name_or_path} (or TRL's {@code sft_model_path}); {@code reward_model_path}
 * is required; the prompts come from {@code dataset_path} / {@code dataset_name} / {@code dataset_mixture} files.
 */
public final class RlRecipes {
  private static final Logger LOG = LoggerFactory.getLogger(RlRecipes.class);
  private static final List<String> MODEL_AND_DATA_KEYS = List.of("model_name_or_path", "sft_model_path",
      "reward_model_path", "dataset_path", "dataset_name", "dataset_mixture", "output_dir", "run_dir",
      "eval_strategy", "evaluation_strategy");
  private static final List<String> ON_POLICY_KEYS = List.of("response_length", "temperature", "stop_token",
      "stop_token_id", "missing_eos_penalty", "num_mini_batches", "num_ppo_epochs", "cliprange", "kl_coef",
      "total_episodes", "local_rollout_forward_batch_size", "num_sample_generations");
  private static final List<String> PPO_KEYS = List.of("value_model_path", "vf_coef", "cliprange_value", "gamma",
      "lam", "kl_estimator", "whiten_rewards", "adap_kl_ctrl", "target", "horizon");
  private static final List<String> RLOO_KEYS = List.of("rloo_k", "num_generations", "normalize_advantage");
  /**
   * TRL keys that only name the run or steer DeepSpeed sharding, which changes nothing here: read, and named in a
   * warning. {@code sanity_check} (the old TRL scripts' "train on a small subset") is accepted only as false.
   */
  private static final List<String> NO_EFFECT_KEYS = List.of("exp_name", "ds3_gather_for_generation",
      "sanity_check");

  private RlRecipes() {}

  /** The keys {@link #loadPpo} reads, by group. */
  public static Map<String, List<String>> ppoKeys() {
    return groups("ppo", PPO_KEYS);
  }

  /** The keys {@link #loadRloo} reads, by group. */
  public static Map<String, List<String>> rlooKeys() {
    return groups("rloo", RLOO_KEYS);
  }

  private static Map<String, List<String>> groups(String kind, List<String> kindKeys) {
    Map<String, List<String>> g = new LinkedHashMap<>();
    g.put("training", Recipes.TRAINING_KEYS);
    g.put("model and data", MODEL_AND_DATA_KEYS);
    g.put("on-policy", ON_POLICY_KEYS);
    g.put(kind, kindKeys);
    g.put("peft", Recipes.PEFT_KEYS);
    g.put("no effect here", NO_EFFECT_KEYS);
    return Collections.unmodifiableMap(g);
  }

  /** Loads a PPO recipe: the same as {@code Json.yaml().readValue(yaml.toFile(), PpoConfig.class)}. */
  public static PpoConfig loadPpo(Path yaml) {
    return TreeBinding.readFile(yaml, PpoConfig.class, "recipe keys");
  }

  /** A PPO run from recipe options (same names and checks as {@link #loadPpo}); errors name {@code source}. */
  public static PpoConfig ppo(Map<String, ?> options, String source) {
    return parsePpo(Json.mapper().valueToTree(options), null, source);
  }

  /** Loads an RLOO recipe: the same as {@code Json.yaml().readValue(yaml.toFile(), RlooConfig.class)}. */
  public static RlooConfig loadRloo(Path yaml) {
    return TreeBinding.readFile(yaml, RlooConfig.class, "recipe keys");
  }

  /**
   * The parser behind {@link RlBinding}: the Jackson binding of {@link PpoConfig} and {@link RlooConfig} reaches this
   * class's key table through {@code META-INF/services}, since the rl package cannot name the recipe package.
   */
  public static final class Binding implements RlBinding.Parser {
    @Override
    public PpoConfig ppo(JsonNode recipe, Path file, String name) {
      return parsePpo(recipe, file, name);
    }

    @Override
    public RlooConfig rloo(JsonNode recipe, Path file, String name) {
      return parseRloo(recipe, file, name);
    }
  }

  /** An RLOO run from recipe options (same names and checks as {@link #loadRloo}); errors name {@code source}. */
  public static RlooConfig rloo(Map<String, ?> options, String source) {
    return parseRloo(Json.mapper().valueToTree(options), null, source);
  }

  /**
   * The settings of a pipeline's {@code ppo} stage: the PPO keys without the model and data keys, which the pipeline
   * sets (policy from the previous stage, reward model from the {@code rm} stage, prompts from the self-play data,
   * output under the work directory); a model or data key is refused by name. The returned config holds
   * placeholders for those paths, which {@link PpoRun} replaces.
   */
  public static PpoConfig ppoStage(Map<String, ?> options, String source) {
    return ppo(withPipelinePaths(options, source), source);
  }

  /** The settings of a pipeline's {@code rloo} stage; see {@link #ppoStage}. */
  public static RlooConfig rlooStage(Map<String, ?> options, String source) {
    return rloo(withPipelinePaths(options, source), source);
  }

  private static Map<String, Object> withPipelinePaths(Map<String, ?> options, String source) {
    for (String k : MODEL_AND_DATA_KEYS) {
      if (options.containsKey(k) && !k.contains("strategy")) {
        throw InvalidInputException.field(source, k, "is set by the pipeline (the policy comes from the previous"
            + " stage, the reward model from the rm stage, the prompts from the rmsp stage's dialogues, output"
            + " under the work dir); remove it");
      }
    }
    Map<String, Object> o = new LinkedHashMap<>(options);
    Path placeholder = Path.of("pipeline-stage");
    o.put("model_name_or_path", placeholder.toString());
    o.put("reward_model_path", placeholder.toString());
    o.put("output_dir", placeholder.toString());
    o.put("dataset_path", placeholder.toString());
    return o;
  }

  private static PpoConfig parsePpo(JsonNode n, Path file, String yaml) {
    Set<String> used = new TreeSet<>();
    return inRecipe(yaml, () -> {
      PpoConfig.Builder b = PpoConfig.builder(Recipes.outputDir(n, yaml, used));
      Paths paths = paths(n, yaml, used, b.outputDir(), b.training());
      b.modelNameOrPath(paths.policy).rewardModelPath(paths.reward).datasets(paths.datasets);
      if (n.hasNonNull("value_model_path")) {
        b.valueModelPath(Path.of(n.get("value_model_path").asText()));
      }
      used.add("value_model_path");
      b.onPolicy(onPolicy(n, yaml, used));
      if (n.hasNonNull("vf_coef")) {
        b.vfCoef(Recipes.doubleOf(n, "vf_coef", yaml, used));
      }
      if (n.hasNonNull("cliprange_value")) {
        b.cliprangeValue(Recipes.doubleOf(n, "cliprange_value", yaml, used));
      }
      if (n.hasNonNull("gamma")) {
        b.gamma(Recipes.doubleOf(n, "gamma", yaml, used));
      }
      if (n.hasNonNull("lam")) {
        b.lam(Recipes.doubleOf(n, "lam", yaml, used));
      }
      if (n.hasNonNull("kl_estimator")) {
        used.add("kl_estimator");
        try {
          b.klEstimator(KlEstimator.fromHfName(n.get("kl_estimator").asText()));
        } catch (IllegalArgumentException e) {
          throw InvalidInputException.field(yaml, "kl_estimator", e.getMessage());
        }
      }
      if (n.hasNonNull("whiten_rewards")) {
        used.add("whiten_rewards");
        b.whitenRewards(Recipes.boolOf(n.get("whiten_rewards"), "whiten_rewards", yaml));
      }
      b.adaptiveKl(adaptiveKl(n, yaml, used));
      b.lora(Recipes.lora(n, yaml, used));
      finish(n, file, yaml, used, ppoKeys());
      return b.build();
    });
  }

  /** {@code adap_kl_ctrl: true} with {@code target} (6) and {@code horizon} (10000), TRL's earlier defaults. */
  private static PpoConfig.AdaptiveKl adaptiveKl(JsonNode n, String yaml, Set<String> used) {
    used.add("adap_kl_ctrl");
    boolean on = n.hasNonNull("adap_kl_ctrl") && Recipes.boolOf(n.get("adap_kl_ctrl"), "adap_kl_ctrl", yaml);
    for (String k : List.of("target", "horizon")) {
      if (n.hasNonNull(k) && !on) {
        throw InvalidInputException.field(yaml, k, "only applies with adap_kl_ctrl: true");
      }
    }
    if (!on) {
      return null;
    }
    double target = n.hasNonNull("target") ? Recipes.doubleOf(n, "target", yaml, used) : 6.0;
    long horizon = n.hasNonNull("horizon") ? Recipes.intOf(n, "horizon", yaml, used) : 10000;
    return new PpoConfig.AdaptiveKl(target, horizon);
  }

  private static RlooConfig parseRloo(JsonNode n, Path file, String yaml) {
    Set<String> used = new TreeSet<>();
    return inRecipe(yaml, () -> {
      RlooConfig.Builder b = RlooConfig.builder(Recipes.outputDir(n, yaml, used));
      Paths paths = paths(n, yaml, used, b.outputDir(), b.training());
      b.modelNameOrPath(paths.policy).rewardModelPath(paths.reward).datasets(paths.datasets);
      b.onPolicy(onPolicy(n, yaml, used));
      if (n.hasNonNull("rloo_k") && n.hasNonNull("num_generations")) {
        throw InvalidInputException.field(yaml, "num_generations", "is the newer TRL name of rloo_k; set one");
      }
      for (String k : List.of("rloo_k", "num_generations")) {
        if (n.hasNonNull(k)) {
          b.rlooK(Recipes.intOf(n, k, yaml, used));
        }
      }
      if (n.hasNonNull("normalize_advantage")) {
        used.add("normalize_advantage");
        b.normalizeAdvantage(Recipes.boolOf(n.get("normalize_advantage"), "normalize_advantage", yaml));
      }
      b.lora(Recipes.lora(n, yaml, used));
      finish(n, file, yaml, used, rlooKeys());
      return b.build();
    });
  }

  private record Paths(Path policy, Path reward, List<Path> datasets) {}

  private static Paths paths(JsonNode n, String yaml, Set<String> used, Path outputDir,
      TrainingArguments.Builder training) {
    Recipes.common(n, yaml, used, training);
    training.outputDir(Recipes.runDir(n, yaml, used, outputDir));
    used.add("model_name_or_path");
    used.add("sft_model_path");
    JsonNode model = n.hasNonNull("model_name_or_path") ? n.get("model_name_or_path") : n.get("sft_model_path");
    if (n.hasNonNull("model_name_or_path") && n.hasNonNull("sft_model_path")
        && !n.get("model_name_or_path").asText().equals(n.get("sft_model_path").asText())) {
      throw InvalidInputException.field(yaml, "sft_model_path", "differs from model_name_or_path; both name the"
          + " policy to train (and its frozen reference): set one");
    }
    if (model == null || model.isNull()) {
      throw InvalidInputException.field(yaml, "model_name_or_path", "required (the SFT policy: a local model"
          + " directory)");
    }
    used.add("reward_model_path");
    if (!n.hasNonNull("reward_model_path")) {
      throw InvalidInputException.field(yaml, "reward_model_path", "required (a reward model directory with"
          + " score.weight, as zephyr rm writes it)");
    }
    if (n.hasNonNull("neftune_noise_alpha") && n.get("neftune_noise_alpha").asDouble() != 0) {
      // TRL's on-policy trainers never add NEFTune's noise either: it belongs to supervised fine-tuning
      throw InvalidInputException.field(yaml, "neftune_noise_alpha", "applies to SFT only; on-policy runs have no"
          + " noisy-embedding training: remove it or set 0");
    }
    for (String k : List.of("eval_strategy", "evaluation_strategy")) {
      used.add(k);
      if (n.hasNonNull(k) && !RecipeKeys.isNo(n.get(k))) {
        throw InvalidInputException.field(yaml, k, "on-policy runs have no evaluation loop; remove it or set \"no\"");
      }
    }
    List<Path> files = Recipes.plainFiles(Recipes.datasets(n, yaml, used), yaml);
    return new Paths(Path.of(model.asText()), Path.of(n.get("reward_model_path").asText()), files);
  }

  private static OnPolicyConfig onPolicy(JsonNode n, String yaml, Set<String> used) {
    OnPolicyConfig c = OnPolicyConfig.defaults();
    if (n.hasNonNull("response_length")) {
      c = c.withResponseLength(Recipes.intOf(n, "response_length", yaml, used));
    }
    if (n.hasNonNull("temperature")) {
      c = c.withTemperature(Recipes.doubleOf(n, "temperature", yaml, used));
    }
    used.add("stop_token");
    if (n.hasNonNull("stop_token") && !n.get("stop_token").asText().equals("eos")) {
      throw InvalidInputException.field(yaml, "stop_token", "expected eos (or stop_token_id for another token),"
          + " found '" + n.get("stop_token").asText() + "'");
    }
    if (n.hasNonNull("stop_token_id")) {
      c = c.withStopTokenId(Recipes.intOf(n, "stop_token_id", yaml, used));
    }
    if (n.hasNonNull("missing_eos_penalty")) {
      c = c.withMissingEosPenalty(Recipes.doubleOf(n, "missing_eos_penalty", yaml, used));
    }
    if (n.hasNonNull("num_mini_batches")) {
      c = c.withNumMiniBatches(Recipes.intOf(n, "num_mini_batches", yaml, used));
    }
    if (n.hasNonNull("num_ppo_epochs")) {
      c = c.withNumPpoEpochs(Recipes.intOf(n, "num_ppo_epochs", yaml, used));
    }
    if (n.hasNonNull("cliprange")) {
      c = c.withCliprange(Recipes.doubleOf(n, "cliprange", yaml, used));
    }
    if (n.hasNonNull("kl_coef")) {
      c = c.withKlCoef(Recipes.doubleOf(n, "kl_coef", yaml, used));
    }
    if (n.hasNonNull("total_episodes")) {
      c = c.withTotalEpisodes((long) Recipes.intOf(n, "total_episodes", yaml, used));
    }
    if (n.hasNonNull("local_rollout_forward_batch_size")) {
      c = c.withLocalRolloutForwardBatchSize(Recipes.intOf(n, "local_rollout_forward_batch_size", yaml, used));
    }
    if (n.hasNonNull("num_sample_generations")) {
      c = c.withNumSampleGenerations(Recipes.intOf(n, "num_sample_generations", yaml, used));
    }
    return c;
  }

  private static void finish(JsonNode n, Path file, String yaml, Set<String> used,
      Map<String, List<String>> declared) {
    if (n.hasNonNull("sanity_check") && Recipes.boolOf(n.get("sanity_check"), "sanity_check", yaml)) {
      throw InvalidInputException.field(yaml, "sanity_check", "true is not supported: it trained TRL's old example"
          + " scripts on a small subset of the data; point dataset_path at a smaller prompt file instead");
    }
    List<String> ignored = NO_EFFECT_KEYS.stream().filter(n::has).toList();
    used.addAll(ignored);
    if (!ignored.isEmpty()) {
      LOG.warn("{}: keys with no effect here, ignored: {}", yaml, ignored);
    }
    Recipes.checkKeys(n, file, yaml, used, declared);
  }

  /** Builds a config; what the records refuse names the recipe instead of the record. */
  private static <T> T inRecipe(String yaml, java.util.function.Supplier<T> build) {
    try {
      return build.get();
    } catch (InvalidInputException e) {
      boolean unnamed = e.source() == null || Set.of(TrainingArguments.SOURCE, OnPolicyConfig.SOURCE,
          PpoConfig.SOURCE, RlooConfig.SOURCE).contains(e.source());
      throw unnamed ? e.withSource(yaml) : e;
    } catch (IllegalArgumentException e) {
      throw new InvalidInputException(yaml, 0, null, e.getMessage());
    }
  }
}
