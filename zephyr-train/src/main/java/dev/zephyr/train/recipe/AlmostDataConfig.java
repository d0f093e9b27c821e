package dev.zephyr.train.recipe;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.zephyr.core.InvalidInputException;
import dev.zephyr.core.config.ConfigKeys;
import dev.zephyr.core.config.TreeBinding;
import dev.zephyr.core.io.Json;
import dev.zephyr.data.almost.GeneratorConfig;
import dev.zephyr.data.config.ProviderSpec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * {@code zephyr almost-data --config FILE.yaml}: ALMoST's synthetic comparisons (step 1 of the paper).
 *
 * <pre>
 * prompts: queries.jsonl            # {"question": ...} / {"prompt": ...} per line, or one query per line
 * output_dir: data/almost           # responses.jsonl, comparisons.jsonl, report.json, failures.jsonl
 * demonstrations: faithful.txt      # the few-shot dialogue prompt every generator uses unless it names its own
 * ranking: listed                   # listed: generators best to worst; rule_of_thumb: by model_size_b, shots,
 *                                   #   prompt_quality (a partial order; incomparable generators are never paired)
 * batch_size: 8                     # prompts per appended batch
 * seed: 42
 * generators:                       # a model provider (base_url + model, or local) plus the keys below
 *   - {name: big-faithful-3shot, local: models/big, shots: 3, demonstrations: faithful.txt, prompt_quality: faithful}
 *   - {name: small-hhh-1shot, base_url: "http://127.0.0.1:8001/v1", model: small, shots: 1, demonstrations: hhh.txt,
 *      temperature: 1.0}
 * agreement:                        # optional reward-model agreement filter: pairs it ranks the other way are dropped
 *   reward_model_path: runs/rm
 *   margin: 0.0
 *   batch_size: 8
 *   max_length: 1024
 * </pre>
 *
 * Decoding defaults to ALMoST's (temperature 1.0, top_p 0.9, 768 new tokens for Faithful prompts, 384 otherwise);
 * a generator's {@code temperature}, {@code top_p} and {@code max_tokens} override it. Relative paths resolve
 * against the YAML file's directory; an unknown key is refused with its line and the closest known key.
 *
 * @param prompts the query file
 * @param outputDir where everything is written
 * @param generators the generators, in the order given
 * @param ranking how they are ranked
 * @param batchSize prompts per appended batch
 * @param seed sampling seed
 * @param agreement the agreement filter, or null
 */
@JsonDeserialize(using = AlmostDataConfig.Binding.class)
public record AlmostDataConfig(Path prompts, Path outputDir, List<Generator> generators, Ranking ranking,
    int batchSize, long seed, Agreement agreement) {

  /** How generators are ranked. */
  public enum Ranking { LISTED, RULE_OF_THUMB }

  /**
   * One generator: who answers, from which demonstrations, and where it sits in the rule of thumb.
   *
   * @param config name, model size, shots and prompt quality
   * @param provider the model that answers
   * @param demonstrations its few-shot dialogue prompt file
   */
  public record Generator(GeneratorConfig config, ProviderSpec provider, Path demonstrations) {}

  /**
   * The reward-model agreement filter.
   *
   * @param rewardModel a {@code zephyr rm} output directory
   * @param margin how far the reward model must prefer the rejected text before a pair is dropped
   * @param batchSize conversations per forward
   * @param maxLength tokens it reads per conversation
   */
  public record Agreement(Path rewardModel, double margin, int batchSize, int maxLength) {}

  static final String[] TOP_KEYS = {"prompts", "output_dir", "demonstrations", "ranking", "batch_size", "seed",
      "generators", "agreement"};
  private static final Set<String> GENERATOR_KEYS = Set.of("shots", "demonstrations", "prompt_quality",
      "model_size_b");
  private static final Set<String> AGREEMENT_KEYS = Set.of("reward_model_path", "margin", "batch_size",
      "max_length");

  public AlmostDataConfig {
    Objects.requireNonNull(prompts, "prompts");
    Objects.requireNonNull(outputDir, "output_dir");
    Objects.requireNonNull(ranking, "ranking");
    generators = List.copyOf(generators);
  }

  /** Reads {@code yaml} (through {@link Binding}, as any Jackson YAML mapper does); errors name the file and key. */
  public static AlmostDataConfig load(Path yaml) {
    return TreeBinding.readFile(yaml, AlmostDataConfig.class, "recipe keys");
  }

  /**
   * The Jackson entry point: {@code readValue(file, AlmostDataConfig.class)} parses the file as {@link #load} does.
   * Content not read from a file resolves relative paths against the working directory and names
   * {@code AlmostDataConfig}.
   */
  public static final class Binding extends TreeBinding<AlmostDataConfig> {
    public Binding() {
      super(AlmostDataConfig.class, "AlmostDataConfig", "recipe keys",
          (n, file, name) -> parse(n, file == null ? Path.of(name) : file, name));
    }
  }

  private static AlmostDataConfig parse(JsonNode n, Path yaml, String src) {
    ConfigKeys.requireKnown(n, List.of(TOP_KEYS), yaml, src, "");
    Path base = yaml.toAbsolutePath().getParent();
    Path defaultDemos = optionalPath(n, "demonstrations", base);
    Ranking ranking = ranking(n, src);
    JsonNode list = n.get("generators");
    if (list == null || !list.isArray() || list.size() < 2) {
      throw InvalidInputException.field(src, "generators", "expected a list of at least two generators, best"
          + " first");
    }
    List<Generator> generators = new ArrayList<>();
    Set<String> names = new HashSet<>();
    for (int i = 0; i < list.size(); i++) {
      Generator g = generator(list.get(i), yaml, "generators[" + i + "]", base, defaultDemos, ranking);
      if (!names.add(g.config().name())) {
        throw InvalidInputException.field(src, "generators[" + i + "].name", "'" + g.config().name()
            + "' is used twice; each generator needs its own name");
      }
      generators.add(g);
    }
    return new AlmostDataConfig(requiredPath(n, "prompts", src, base), requiredPath(n, "output_dir", src, base),
        generators, ranking, integer(n, "batch_size", 8, 1, src), seed(n, src),
        agreement(n.get("agreement"), yaml, base));
  }

  private static long seed(JsonNode n, String src) {
    JsonNode v = n.get("seed");
    if (v == null || v.isNull()) {
      return 42;
    }
    if (!v.isIntegralNumber()) {
      throw InvalidInputException.field(src, "seed", "expected an integer, found " + v);
    }
    return v.asLong();
  }

  private static Ranking ranking(JsonNode n, String src) {
    String r = n.path("ranking").asText("listed");
    return switch (r) {
      case "listed" -> Ranking.LISTED;
      case "rule_of_thumb" -> Ranking.RULE_OF_THUMB;
      default -> throw InvalidInputException.field(src, "ranking", "expected listed or rule_of_thumb, found '" + r
          + "'");
    };
  }

  private static Generator generator(JsonNode node, Path yaml, String field, Path base, Path defaultDemos,
      Ranking ranking) {
    String src = yaml.toString();
    if (node == null || !node.isObject()) {
      throw InvalidInputException.field(src, field, "expected a mapping (a provider plus shots, demonstrations...)");
    }
    Set<String> known = new HashSet<>(ProviderSpec.KEYS);
    known.addAll(GENERATOR_KEYS);
    ConfigKeys.requireKnown(node, known, yaml, src, field);
    ObjectNode providerNode = node.deepCopy();
    providerNode.remove(GENERATOR_KEYS);
    ProviderSpec provider = ProviderSpec.fromNode(providerNode, src, field, base);
    String name = node.hasNonNull("name") ? node.get("name").asText() : provider.name();
    Path demos = optionalPath(node, "demonstrations", base);
    if (demos == null) {
      demos = defaultDemos;
    }
    if (demos == null) {
      throw InvalidInputException.field(src, field + ".demonstrations", "required here or at the top level: the"
          + " few-shot dialogue prompt file");
    }
    if (ranking == Ranking.RULE_OF_THUMB && !node.hasNonNull("model_size_b")) {
      throw InvalidInputException.field(src, field + ".model_size_b", "required with ranking: rule_of_thumb");
    }
    double size = node.hasNonNull("model_size_b") ? node.get("model_size_b").asDouble() : 1.0;
    if (!(size > 0)) {
      throw InvalidInputException.field(src, field + ".model_size_b", "expected a number > 0, found " + size);
    }
    int shots = integer(node, "shots", 0, 0, src, field);
    return new Generator(new GeneratorConfig(name, size, shots, promptQuality(node, src, field)), provider, demos);
  }

  /** {@code hhh} (0), {@code faithful} (1) or any integer, higher is better. */
  private static int promptQuality(JsonNode node, String src, String field) {
    JsonNode q = node.get("prompt_quality");
    if (q == null || q.isNull()) {
      return GeneratorConfig.HHH;
    }
    if (q.isIntegralNumber()) {
      return q.asInt();
    }
    return switch (q.asText()) {
      case "hhh" -> GeneratorConfig.HHH;
      case "faithful" -> GeneratorConfig.FAITHFUL;
      default -> throw InvalidInputException.field(src, field + ".prompt_quality", "expected hhh, faithful or an"
          + " integer (higher is better), found " + q);
    };
  }

  private static Agreement agreement(JsonNode node, Path yaml, Path base) {
    String src = yaml.toString();
    if (node == null || node.isNull()) {
      return null;
    }
    if (!node.isObject()) {
      throw InvalidInputException.field(src, "agreement", "expected a mapping with reward_model_path");
    }
    ConfigKeys.requireKnown(node, AGREEMENT_KEYS, yaml, src, "agreement");
    double margin = node.path("margin").asDouble(0.0);
    if (!(margin >= 0)) {
      throw InvalidInputException.field(src, "agreement.margin", "expected a number >= 0, found " + margin);
    }
    return new Agreement(requiredPath(node, "reward_model_path", src + ": agreement", base), margin,
        integer(node, "batch_size", 8, 1, src, "agreement"), integer(node, "max_length", 1024, 2, src, "agreement"));
  }

  private static int integer(JsonNode n, String key, int fallback, int min, String src) {
    return integer(n, key, fallback, min, src, "");
  }

  private static int integer(JsonNode n, String key, int fallback, int min, String src, String field) {
    String name = field.isEmpty() ? key : field + "." + key;
    JsonNode v = n.get(key);
    if (v == null || v.isNull()) {
      return fallback;
    }
    if (!v.isIntegralNumber() || v.asInt() < min) {
      throw InvalidInputException.field(src, name, "expected an integer >= " + min + ", found " + v);
    }
    return v.asInt();
  }

  private static Path requiredPath(JsonNode n, String key, String src, Path base) {
    if (!n.path(key).isTextual()) {
      throw InvalidInputException.field(src, key, "required: a local path");
    }
    return base.resolve(n.get(key).asText()).normalize();
  }

  private static Path optionalPath(JsonNode n, String key, Path base) {
    return n.path(key).isTextual() ? base.resolve(n.get(key).asText()).normalize() : null;
  }
}
