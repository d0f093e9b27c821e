package dev.zephyr.data.feedback;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import dev.zephyr.core.InvalidInputException;
import dev.zephyr.core.config.ConfigKeys;
import dev.zephyr.core.config.TreeBinding;
import dev.zephyr.core.io.Jsonl;
import dev.zephyr.data.config.ProviderSpec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The {@code zephyr aif} configuration (YAML). Relative paths are resolved against the config file's directory.
 *
 * <pre>
 * prompts: prompts.jsonl          # JSONL or Parquet; {"prompt": ..., "prompt_id": ..., "source": ...}
 * output_dir: out
 * completions_per_prompt: 4
 * seed: 42
 * pool: [ProviderSpec...]
 * judge: ProviderSpec             # temperature defaults to 0, max_tokens to 1024
 * rubric: overall                 # overall | ultrafeedback | ultrafeedback+overall | ultrafeedback_critique |
 *                                 # ultrafeedback+critique | path to a template with {instruction} and {completion}
 *                                 # (scored like overall)
 * rubric_templates: DIR           # the official UltraFeedback templates (rubric: ultrafeedback*)
 * principles: FILE.json           # optional principle system prompts (UltraFeedback's principles_system_prompts.json)
 * binarize: {chosen: overall, rejected: random, ties: keep}
 * judge_attempts: 3               # judge calls per judgment before it is recorded as a failure
 * chunk_size: 256                 # prompts per durable step
 * on_bad_prompt: fail             # fail | skip malformed prompt lines
 * cache: DIR/responses.jsonl      # response cache; default output_dir/cache/responses.jsonl
 * </pre>
 */
@JsonDeserialize(using = AifConfig.Binding.class)
public record AifConfig(
    Path source,
    Path prompts,
    Path outputDir,
    int completionsPerPrompt,
    long seed,
    List<ProviderSpec> pool,
    ProviderSpec judge,
    String rubric,
    Path rubricTemplates,
    Path principles,
    Binarizer.ChosenBy chosen,
    Binarizer.RejectedBy rejected,
    Binarizer.TiePolicy ties,
    int judgeAttempts,
    int chunkSize,
    Jsonl.OnError onBadPrompt,
    Path cache) {

  private static final Set<String> RUBRICS = Set.of("overall", "ultrafeedback", "ultrafeedback+overall",
      "ultrafeedback_critique", "ultrafeedback+critique");
  private static final Set<String> KEYS = Set.of("prompts", "output_dir", "completions_per_prompt", "seed", "pool",
      "judge", "rubric", "rubric_templates", "principles", "binarize", "judge_attempts", "chunk_size",
      "on_bad_prompt", "cache");
  private static final Set<String> BINARIZE_KEYS = Set.of("chosen", "rejected", "ties");

  /**
   * Reads and validates a config file; errors name the file and the key. The same as
   * {@code Json.yaml().readValue(file.toFile(), AifConfig.class)}, which binds through {@link Binding}.
   */
  public static AifConfig load(Path file) {
    return TreeBinding.readFile(file, AifConfig.class, "AI-feedback keys");
  }

  /**
   * The Jackson entry point: the standalone file {@code zephyr aif --config} reads ({@code output_dir} required,
   * relative paths against the file's directory), parsed by the same code as {@link #load}. Content that is not read
   * from a file resolves relative paths against the working directory and names {@code AifConfig} in errors. A
   * pipeline's aif stage, whose {@code output_dir} the pipeline sets, goes through {@link #stageOptions} instead.
   */
  public static final class Binding extends TreeBinding<AifConfig> {
    public Binding() {
      super(AifConfig.class, "AifConfig", "AI-feedback keys",
          (n, file, name) -> parse(n, file == null ? Path.of(name) : file, name, true));
    }
  }

  /**
   * The settings of a pipeline's AI-feedback stage: the same keys and checks as {@link #load}, but without
   * {@code output_dir}, which the pipeline sets (the stage directory, see {@link #withOutputDir}); relative paths are
   * resolved against {@code baseDir} (the recipe's directory) and errors name {@code source}.
   *
   * @throws InvalidInputException also when the options set {@code output_dir}
   */
  public static AifConfig stageOptions(JsonNode options, String source, Path baseDir) {
    if (options == null || !options.isObject()) {
      throw new InvalidInputException(source, 0, null, "expected a mapping of AI-feedback options");
    }
    if (options.has("output_dir")) {
      throw InvalidInputException.field(source, "output_dir", "is set by the pipeline (the stage directory); remove it");
    }
    return parse(options, baseDir.resolve(source.replace('/', '_')), source, false);
  }

  /**
   * This job writing into {@code dir}; a cache that was not set explicitly ({@code output_dir/cache/responses.jsonl}
   * by default) moves with it.
   */
  public AifConfig withOutputDir(Path dir) {
    boolean defaultCache = cache == null || (outputDir != null && cache.equals(defaultCache(outputDir)));
    return new AifConfig(source, prompts, dir, completionsPerPrompt, seed, pool, judge, rubric, rubricTemplates,
        principles, chosen, rejected, ties, judgeAttempts, chunkSize, onBadPrompt,
        defaultCache ? defaultCache(dir) : cache);
  }

  /** This job with {@code member} added to the generator pool (a pipeline's student, say). */
  public AifConfig withPoolMember(ProviderSpec member) {
    if (pool.stream().anyMatch(p -> p.name().equals(member.name()))) {
      throw InvalidInputException.field(String.valueOf(source), "pool", "already has a provider named '"
          + member.name() + "'");
    }
    List<ProviderSpec> more = new ArrayList<>(pool);
    more.add(member);
    return new AifConfig(source, prompts, outputDir, completionsPerPrompt, seed, List.copyOf(more), judge, rubric,
        rubricTemplates, principles, chosen, rejected, ties, judgeAttempts, chunkSize, onBadPrompt, cache);
  }

  /** This job with another seed (sampling seeds and the rejected pick of binarisation). */
  public AifConfig withSeed(long newSeed) {
    return new AifConfig(source, prompts, outputDir, completionsPerPrompt, newSeed, pool, judge, rubric,
        rubricTemplates, principles, chosen, rejected, ties, judgeAttempts, chunkSize, onBadPrompt, cache);
  }

  private static Path defaultCache(Path out) {
    return out.resolve("cache").resolve("responses.jsonl");
  }

  private static AifConfig parse(JsonNode root, Path file, String src, boolean requireOutputDir) {
    ConfigKeys.requireKnown(root, KEYS, file, src, "");
    ConfigKeys.requireKnown(root.get("binarize"), BINARIZE_KEYS, file, src, "binarize");
    Path base = file.toAbsolutePath().getParent();
    Path prompts = path(root, "prompts", src, base, true);
    Path out = path(root, "output_dir", src, base, requireOutputDir);
    int k = root.path("completions_per_prompt").asInt(4);
    if (k < 2) {
      throw InvalidInputException.field(src, "completions_per_prompt", "must be >= 2, got " + k);
    }
    JsonNode poolNode = root.get("pool");
    if (poolNode == null || !poolNode.isArray() || poolNode.isEmpty()) {
      throw InvalidInputException.field(src, "pool", "expected a non-empty list of providers");
    }
    List<ProviderSpec> pool = new ArrayList<>();
    for (int i = 0; i < poolNode.size(); i++) {
      pool.add(ProviderSpec.fromNode(poolNode.get(i), src, "pool[" + i + "]", base));
    }
    if (pool.stream().map(ProviderSpec::name).distinct().count() != pool.size()) {
      throw InvalidInputException.field(src, "pool", "provider names must be distinct");
    }
    if (!root.has("judge")) {
      throw InvalidInputException.field(src, "judge", "a judge provider is required");
    }
    ProviderSpec judge = ProviderSpec.fromNode(root.get("judge"), src, "judge", base);
    String rubric = root.path("rubric").asText("overall");
    if (!RUBRICS.contains(rubric)) {
      rubric = base.resolve(rubric).normalize().toString(); // a template file, relative to the config
    }
    Path templates = path(root, "rubric_templates", src, base, false);
    boolean aspects = rubric.equals("ultrafeedback") || rubric.startsWith("ultrafeedback+");
    if (rubric.startsWith("ultrafeedback") && templates == null) {
      throw InvalidInputException.field(src, "rubric_templates",
          "rubric: " + rubric + " needs the directory of the official UltraFeedback templates");
    }
    JsonNode bin = root.path("binarize");
    Binarizer.ChosenBy chosen = enumValue(Binarizer.ChosenBy.class, bin.path("chosen").asText(
        rubric.equals("ultrafeedback") ? "mean" : "overall"), src, "binarize.chosen");
    if (rubric.equals("ultrafeedback") && chosen == Binarizer.ChosenBy.OVERALL) {
      throw InvalidInputException.field(src, "binarize.chosen",
          "rubric: ultrafeedback gives aspect ratings only; use chosen: mean");
    }
    if (!aspects && chosen == Binarizer.ChosenBy.MEAN) {
      throw InvalidInputException.field(src, "binarize.chosen",
          "chosen: mean needs rubric: ultrafeedback, ultrafeedback+overall or ultrafeedback+critique");
    }
    Binarizer.RejectedBy rejected = enumValue(Binarizer.RejectedBy.class, bin.path("rejected").asText("random"), src,
        "binarize.rejected");
    Binarizer.TiePolicy ties = enumValue(Binarizer.TiePolicy.class, bin.path("ties").asText("keep"), src,
        "binarize.ties");
    Jsonl.OnError onBad = enumValue(Jsonl.OnError.class, root.path("on_bad_prompt").asText("fail"), src,
        "on_bad_prompt");
    int attempts = root.path("judge_attempts").asInt(3);
    int chunk = root.path("chunk_size").asInt(256);
    if (attempts < 1 || chunk < 1) {
      throw InvalidInputException.field(src, attempts < 1 ? "judge_attempts" : "chunk_size", "must be >= 1");
    }
    Path cache = path(root, "cache", src, base, false);
    return new AifConfig(file, prompts, out, k, root.path("seed").asLong(42), List.copyOf(pool), judge, rubric,
        templates, path(root, "principles", src, base, false), chosen, rejected, ties, attempts, chunk, onBad,
        cache != null ? cache : out == null ? null : defaultCache(out));
  }

  private static Path path(JsonNode root, String key, String src, Path base, boolean required) {
    JsonNode n = root.get(key);
    if (n == null || n.isNull()) {
      if (required) {
        throw InvalidInputException.field(src, key, "is required");
      }
      return null;
    }
    if (!n.isTextual() || n.asText().isBlank()) {
      throw InvalidInputException.field(src, key, "expected a path");
    }
    return base.resolve(n.asText()).normalize();
  }

  private static <E extends Enum<E>> E enumValue(Class<E> type, String value, String src, String key) {
    try {
      return Enum.valueOf(type, value.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      List<String> names = new ArrayList<>();
      for (E c : type.getEnumConstants()) {
        names.add(c.name().toLowerCase(Locale.ROOT));
      }
      throw InvalidInputException.field(src, key, "'" + value + "' is not one of " + names);
    }
  }
}
