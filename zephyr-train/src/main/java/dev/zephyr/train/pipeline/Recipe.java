package dev.zephyr.train.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import dev.zephyr.core.InvalidInputException;
import dev.zephyr.core.config.ConfigKeys;
import dev.zephyr.core.device.Devices;
import dev.zephyr.core.io.Json;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A pipeline written as YAML:
 *
 * <pre>
 * name: zephyr-7b-beta
 * seed: 42
 * device: gpu                           # optional: cpu, gpu or gpu:N for every stage (default: DJL's default)
 * student: models/Mistral-7B-v0.1        # a local Hugging Face model directory
 * work_dir: runs/zephyr-7b-beta
 * stages:
 *   - dsft: {dataset: data/ultrachat_200k/train_sft.jsonl, learning_rate: 2.0e-5, ...}
 *   - aif: {preferences: data/ultrafeedback_binarized/train_prefs.jsonl}
 *   - ddpo: {beta: 0.1, learning_rate: 5.0e-7, num_train_epochs: 3, ...}
 *   - evaluate: {mt_bench: {bench_dir: data/mt_bench, judge: {...}}}
 * </pre>
 *
 * Stage kinds: {@code dsft} (artifact keys {@code dataset}, {@code model}), {@code aif} ({@code preferences},
 * {@code ratings}, {@code completions}, {@code sample_student}), {@code ddpo} ({@code preferences}, {@code model}),
 * {@code rm} ({@code comparisons}, {@code model}), {@code rmsp} (RM-guided self-play; {@code bon} is the same stage
 * under its older name), {@code sft} (trains on upstream demonstrations), {@code ppo} and {@code rloo} (RLSF against
 * the upstream reward model on the first queries of the upstream demonstrations, or on {@code prompts}),
 * {@code evaluate} (one key per evaluation), and {@code external} (a model trained elsewhere: {@code model},
 * {@code name}, {@code sha256sums}, {@code wait_minutes}, {@code poll_seconds}; see {@link External}). Relative artifact paths are relative to the YAML file's directory
 * ({@link #baseDir()}); every other key is handed to {@link RecipeStages} unchanged, and the stage's config record
 * resolves the paths among them against the same directory when it binds them
 * ({@code dev.zephyr.train.recipe.ReadyStages}).
 *
 * @param name recipe name
 * @param seed pipeline seed
 * @param student the starting model directory
 * @param workDir where stage directories go
 * @param stages stage kinds and their options, in order
 * @param baseDir the directory relative paths are relative to (the YAML file's)
 * @param device {@code device}: where every stage's arrays live ({@code cpu} or {@code gpu:N}), or null for DJL's
 *     default device; training and self-play (rmsp, bon) stages receive it as their {@code device} key unless they
 *     set their own
 */
public record Recipe(String name, long seed, Path student, Path workDir, List<StageSpec> stages, Path baseDir,
    String device) {
  /** Stage kinds a recipe may use. */
  public static final Set<String> KINDS = Set.of("dsft", "aif", "ddpo", "rm", "rmsp", "bon", "sft", "ppo",
      "rloo", "evaluate", "external");

  /** The keys of an {@code external} stage. */
  public static final Set<String> EXTERNAL_KEYS = Set.of("model", "name", "sha256sums", "wait_minutes",
      "poll_seconds");

  /** The keys of a recipe's top level; any other is refused with the closest of these. */
  public static final Set<String> TOP_LEVEL_KEYS = Set.of("name", "seed", "student", "work_dir", "stages", "device");

  /** Stage kinds that train a policy against the upstream reward model. */
  static final Set<String> RLSF_KINDS = Set.of("ppo", "rloo");

  /**
   * Stage kinds that run a local model, and so take the key {@code device}: the training stages and RM-guided
   * self-play.
   */
  static final Set<String> TRAINING_KINDS = Set.of("dsft", "sft", "ddpo", "rm", "ppo", "rloo", "rmsp", "bon");

  public Recipe {
    stages = List.copyOf(stages);
  }

  /** One entry of {@code stages}. */
  public record StageSpec(String kind, Map<String, Object> options) {
    public StageSpec {
      options = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(options));
    }
  }

  /** Reads a recipe file; errors name the file and the offending field. */
  public static Recipe load(Path file) {
    try (InputStream in = Files.newInputStream(file)) {
      return parse(in, file.toString(), file.toAbsolutePath().getParent());
    } catch (IOException e) {
      throw new InvalidInputException(file.toString(), 0, null, "cannot read recipe: " + e.getMessage(), e);
    }
  }

  /** Parses a recipe from a stream; {@code baseDir} anchors relative paths. */
  public static Recipe parse(InputStream in, String source, Path baseDir) {
    JsonNode root;
    try {
      root = Json.yaml().readTree(in);
    } catch (IOException e) {
      throw new InvalidInputException(source, 0, null, "not valid YAML: " + e.getMessage(), e);
    }
    if (root == null || !root.isObject()) {
      throw new InvalidInputException(source, 0, null, "a recipe is a YAML mapping with name, student and stages");
    }
    ConfigKeys.requireKnown(root, TOP_LEVEL_KEYS, sourceFile(source), source, "");
    String name = text(root, "name", source, false);
    Path student = baseDir.resolve(text(root, "student", source, true)).normalize();
    String work = text(root, "work_dir", source, false);
    Path workDir = baseDir.resolve(work == null ? "runs/" + (name == null ? "recipe" : name) : work).normalize();
    long seed = root.path("seed").asLong(42);
    String deviceName = text(root, "device", source, false);
    // checked against the machine now: a GPU it lacks fails before any stage loads a model
    String device = deviceName == null ? null : Devices.name(Devices.parse(deviceName, source, "device"));
    JsonNode stagesNode = root.get("stages");
    if (stagesNode == null || !stagesNode.isArray() || stagesNode.isEmpty()) {
      throw InvalidInputException.field(source, "stages", "expected a non-empty list of stages");
    }
    List<StageSpec> stages = new ArrayList<>();
    for (int i = 0; i < stagesNode.size(); i++) {
      JsonNode entry = stagesNode.get(i);
      String field = "stages[" + i + "]";
      if (!entry.isObject() || entry.size() != 1) {
        throw InvalidInputException.field(source, field, "each stage is a mapping with one key, its kind "
            + "(one of " + new java.util.TreeSet<>(KINDS) + ")");
      }
      String kind = entry.fieldNames().next();
      if (!KINDS.contains(kind)) {
        throw InvalidInputException.field(source, field, "unknown stage '" + kind + "' ("
            + ConfigKeys.closest(kind, KINDS).map(k -> "did you mean '" + k + "'? ").orElse("")
            + "expected one of " + new java.util.TreeSet<>(KINDS) + ")");
      }
      JsonNode opts = entry.get(kind);
      if (opts != null && !opts.isNull() && !opts.isObject()) {
        throw InvalidInputException.field(source, field + "." + kind, "expected a mapping of options");
      }
      @SuppressWarnings("unchecked")
      Map<String, Object> options = opts == null || opts.isNull()
          ? new LinkedHashMap<>()
          : Json.mapper().convertValue(opts, LinkedHashMap.class);
      for (String key : List.of("dataset", "model", "preferences", "ratings", "completions", "comparisons",
          "sha256sums")) {
        Object v = options.get(key);
        if (v != null) {
          if (!(v instanceof String s)) {
            throw InvalidInputException.field(source, field + "." + kind + "." + key, "expected a path");
          }
          options.put(key, baseDir.resolve(s).normalize().toString());
        }
      }
      // an RLSF stage's prompts are an artifact; aif's 'prompts' is its own option, resolved by its config
      if (RLSF_KINDS.contains(kind) && options.get("prompts") != null) {
        if (!(options.get("prompts") instanceof String s)) {
          throw InvalidInputException.field(source, field + "." + kind + ".prompts", "expected a path");
        }
        options.put("prompts", baseDir.resolve(s).normalize().toString());
      }
      if (device != null && TRAINING_KINDS.contains(kind)) {
        options.putIfAbsent("device", device);
      }
      stages.add(new StageSpec(kind, options));
    }
    return new Recipe(name == null ? "recipe" : name, seed, student, workDir, stages, baseDir, device);
  }

  /**
   * This recipe with every stage on {@code device} ({@code zephyr pipeline --device}): it replaces the top-level
   * {@code device} and the training stages' own {@code device} keys.
   */
  public Recipe onDevice(String device) {
    String name = Devices.name(Devices.syntax(device, "device", "device"));
    List<StageSpec> moved = new ArrayList<>();
    for (StageSpec s : stages) {
      Map<String, Object> o = new LinkedHashMap<>(s.options());
      if (TRAINING_KINDS.contains(s.kind())) {
        o.put("device", name);
      }
      moved.add(new StageSpec(s.kind(), o));
    }
    return new Recipe(this.name, seed, student, workDir, moved, baseDir, name);
  }

  /** The recipe file named by {@code source}, for finding a key's line; null when it names no file. */
  private static Path sourceFile(String source) {
    try {
      return Path.of(source);
    } catch (java.nio.file.InvalidPathException e) {
      return null;
    }
  }

  private static String text(JsonNode root, String key, String source, boolean required) {
    JsonNode n = root.get(key);
    if (n == null || n.isNull()) {
      if (required) {
        throw InvalidInputException.field(source, key, "missing (expected a local path)");
      }
      return null;
    }
    if (!n.isTextual()) {
      throw InvalidInputException.field(source, key, "expected a string, found " + n.getNodeType());
    }
    return n.asText();
  }

  /** Builds the pipeline this recipe describes, with concrete stages from {@code factory}. */
  public Pipeline toPipeline(RecipeStages factory) {
    Pipeline p = Pipeline.empty().seed(seed);
    boolean evaluates = false;
    for (StageSpec s : stages) {
      Map<String, Object> o = new LinkedHashMap<>(s.options());
      Path dataset = path(o.remove("dataset"));
      Path model = path(o.remove("model"));
      Path preferences = path(o.remove("preferences"));
      Path ratings = path(o.remove("ratings"));
      Path completions = path(o.remove("completions"));
      Path comparisons = path(o.remove("comparisons"));
      Path prompts = RLSF_KINDS.contains(s.kind()) ? path(o.remove("prompts")) : null;
      switch (s.kind()) {
        case "dsft" -> {
          if (model != null) {
            p = p.then(Dsft.trainedModel(model));
          } else {
            Dsft d = Dsft.of(factory.sft(o));
            p = p.then(dataset != null ? d.fromDataset(dataset) : d);
          }
        }
        case "sft" -> p = p.sft(factory.sft(o));
        case "aif" -> {
          boolean student = Boolean.TRUE.equals(o.remove("sample_student"));
          if (preferences != null) {
            p = p.aif(Aif.preferences(preferences));
          } else {
            Aif a = Aif.of(factory.feedback(o));
            a = ratings != null ? a.fromRatings(ratings) : completions != null ? a.fromCompletions(completions) : a;
            p = p.aif(student ? a.samplingStudent() : a);
          }
        }
        case "ddpo" -> {
          if (model != null) {
            p = p.ddpo(Ddpo.trainedModel(model));
          } else {
            Ddpo d = Ddpo.of(factory.dpo(o));
            p = p.ddpo(preferences != null ? d.onPreferences(preferences) : d);
          }
        }
        case "rm" -> {
          if (model != null) {
            p = p.then(RewardModeling.trained(model));
          } else {
            RewardModeling r = RewardModeling.of(factory.rewardModel(o));
            p = p.then(comparisons != null ? r.fromComparisons(comparisons) : r);
          }
        }
        case "bon" -> p = p.bestOfN(factory.bestOfN(o));
        case "rmsp" -> p = p.rmsp(factory.bestOfN(o));
        case "ppo", "rloo" -> {
          Rlsf r = Rlsf.of(factory.rlsf(s.kind(), o));
          p = p.rlsf(prompts != null ? r.onPrompts(prompts) : r);
        }
        case "external" -> p = p.then(external(model, o));
        case "evaluate" -> {
          for (Iterator<Map.Entry<String, Object>> it = o.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<String, Object> e = it.next();
            p = p.evaluate(factory.evaluation(e.getKey(), asMap(e.getValue())));
            evaluates = true;
          }
        }
        default -> throw new IllegalStateException("unhandled stage kind " + s.kind());
      }
    }
    return evaluates ? p.modelLoader(factory.loader()) : p;
  }

  /** An {@code external} stage from its recipe keys ({@code model} already taken out). */
  private static External external(Path model, Map<String, Object> o) {
    String source = "recipe stage external";
    for (String k : o.keySet()) {
      if (!EXTERNAL_KEYS.contains(k)) {
        throw ConfigKeys.unknown(source, 0, k, EXTERNAL_KEYS);
      }
    }
    if (model == null) {
      throw InvalidInputException.field(source, "model", "required: the model directory trained elsewhere");
    }
    Object name = o.getOrDefault("name", "external");
    External e;
    try {
      e = External.of(name.toString(), model);
    } catch (IllegalArgumentException ex) {
      throw InvalidInputException.field(source, "name", ex.getMessage());
    }
    if (o.get("sha256sums") != null) {
      e = e.verifying(Path.of(o.get("sha256sums").toString()));
    }
    if (o.get("wait_minutes") != null) {
      double minutes = number(o.get("wait_minutes"), "wait_minutes", source);
      double poll = o.get("poll_seconds") == null ? 30 : number(o.get("poll_seconds"), "poll_seconds", source);
      e = e.waitingUpTo(java.time.Duration.ofMillis((long) (minutes * 60_000)),
          java.time.Duration.ofMillis(Math.max(1, (long) (poll * 1000))));
    }
    return e;
  }

  private static double number(Object v, String key, String source) {
    if (v instanceof Number n && n.doubleValue() >= 0) {
      return n.doubleValue();
    }
    throw InvalidInputException.field(source, key, "expected a number >= 0, found " + v);
  }

  private static Path path(Object o) {
    return o == null ? null : Path.of(o.toString());
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> asMap(Object v) {
    return v instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
  }
}
