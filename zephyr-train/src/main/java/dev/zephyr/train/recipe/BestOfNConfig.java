package dev.zephyr.train.recipe;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.zephyr.core.InvalidInputException;
import dev.zephyr.core.chat.SamplingParams;
import dev.zephyr.core.config.ConfigKeys;
import dev.zephyr.core.config.TreeBinding;
import dev.zephyr.core.io.Json;
import dev.zephyr.data.almost.DemonstrationPrompt;
import dev.zephyr.data.config.ProviderSpec;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * ALMoST's reward-model-guided self-play (RMSP) as a stage: for every seed question the student answers
 * {@code best_of} times per assistant turn and the reward model keeps the best answer, for {@code turns} turns.
 *
 * <pre>
 * seeds: questions.jsonl          # {"question": ..., "id": ...} per line, or one question per line
 * best_of: 4                      # candidates per assistant turn (ALMoST: 4; vLLM's and OpenAI's name)
 * turns: 1                        # assistant turns per dialogue
 * temperature: 1.0                # the student's sampling (ALMoST: 1.0, top_p 0.9)
 * top_p: 0.9
 * max_new_tokens: 768
 * demonstrations: prompt.txt      # optional ALMoST few-shot prompt ("Human:/Assistant:" dialogues)
 * shots: 3
 * user_model: {base_url: ..., model: ...}   # plays the user after the first turn; default the student itself
 * max_length: 1024                # tokens the reward model reads (the end of longer dialogues)
 * reward_batch_size: 8            # dialogues per reward-model forward
 * </pre>
 *
 * @param seeds the seed questions
 * @param bestOf candidates per assistant turn
 * @param turns assistant turns per dialogue
 * @param sampling the student's decoding of candidates
 * @param demonstrations the few-shot prompt file, or null to chat plainly
 * @param shots how many of its dialogues to show
 * @param userModel the user simulator's endpoint, or null for the student
 * @param maxLength tokens the reward model reads per dialogue
 * @param rewardBatchSize dialogues per reward-model forward
 */
@JsonDeserialize(using = BestOfNConfig.Binding.class)
public record BestOfNConfig(Path seeds, int bestOf, int turns, SamplingParams sampling, Path demonstrations,
    int shots, ProviderSpec userModel, int maxLength, int rewardBatchSize) {

  /** The source named by validation errors. */
  public static final String SOURCE = "BestOfNConfig";
  /** The keys a self-play stage reads. */
  public static final Set<String> KEYS = Set.of("seeds", "best_of", "turns", "temperature", "top_p",
      "max_new_tokens", "demonstrations", "shots", "user_model", "max_length", "reward_batch_size");

  public BestOfNConfig {
    if (seeds == null) {
      throw InvalidInputException.field(SOURCE, "seeds", "required (a file of seed questions)");
    }
    java.util.Objects.requireNonNull(sampling, "sampling");
    requireAtLeast(1, bestOf, "best_of");
    requireAtLeast(1, turns, "turns");
    requireAtLeast(0, shots, "shots");
    requireAtLeast(2, maxLength, "max_length");
    requireAtLeast(1, rewardBatchSize, "reward_batch_size");
  }

  private static void requireAtLeast(int min, int value, String key) {
    if (value < min) {
      throw InvalidInputException.field(SOURCE, key, "expected at least " + min + ", found " + value);
    }
  }

  /** ALMoST's decoding of the assistant: temperature 1.0, top_p 0.9, up to 768 new tokens, stopping at a new turn. */
  public static SamplingParams almostSampling(double temperature, double topP, int maxNewTokens) {
    return SamplingParams.builder().temperature(temperature).topP(topP).maxTokens(maxNewTokens)
        .stop(List.of("\n\nHuman:", DemonstrationPrompt.SEPARATOR)).build();
  }

  /** Seeds from {@code seeds}, ALMoST's defaults for the rest. */
  public static BestOfNConfig of(Path seeds) {
    return new BestOfNConfig(seeds, 4, 1, almostSampling(1.0, 0.9, 768), null, 3, null, 1024, 8);
  }

  /**
   * A recipe stage's options (the keys above; unknown keys are refused), relative paths resolved against
   * {@code baseDir}; errors name {@code source}.
   */
  public static BestOfNConfig fromOptions(Map<String, ?> options, String source, Path baseDir) {
    ObjectNode n = Json.mapper().valueToTree(options);
    for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
      String k = it.next();
      if (!KEYS.contains(k)) {
        throw InvalidInputException.field(source, k, "unknown key (expected one of " + new java.util.TreeSet<>(KEYS)
            + ")");
      }
    }
    if (!n.path("seeds").isTextual()) {
      throw InvalidInputException.field(source, "seeds", "required: a file of seed questions");
    }
    try {
      return new BestOfNConfig(baseDir.resolve(n.get("seeds").asText()).normalize(),
          integer(n, "best_of", 4, source), integer(n, "turns", 1, source),
          almostSampling(number(n, "temperature", 1.0, source), number(n, "top_p", 0.9, source),
              integer(n, "max_new_tokens", 768, source)),
          n.path("demonstrations").isTextual() ? baseDir.resolve(n.get("demonstrations").asText()).normalize() : null,
          integer(n, "shots", 3, source),
          n.hasNonNull("user_model") ? ProviderSpec.fromNode(n.get("user_model"), source, "user_model", baseDir) : null,
          integer(n, "max_length", 1024, source), integer(n, "reward_batch_size", 8, source));
    } catch (InvalidInputException e) {
      throw SOURCE.equals(e.source()) ? e.withSource(source) : e;
    } catch (IllegalArgumentException e) {
      throw new InvalidInputException(source, 0, null, e.getMessage());
    }
  }

  /**
   * The Jackson entry point: a file holding one {@code rmsp} stage's options (the keys above), read with
   * {@code readValue(file, BestOfNConfig.class)}: an unknown key is refused with its line and the closest key, the
   * rest goes through {@link #fromOptions} with relative paths against the file's directory (the working directory
   * for content not read from a file, whose errors name {@code BestOfNConfig}). In a recipe the stage's options are
   * read by {@link #fromOptions} against the recipe's directory.
   */
  public static final class Binding extends TreeBinding<BestOfNConfig> {
    public Binding() {
      super(BestOfNConfig.class, SOURCE, "self-play keys", (n, file, name) -> {
        ConfigKeys.requireKnown(n, KEYS, file, name, "");
        Path base = file == null ? Path.of("").toAbsolutePath() : file.toAbsolutePath().getParent();
        @SuppressWarnings("unchecked")
        Map<String, Object> options = Json.mapper().convertValue(n, LinkedHashMap.class);
        return fromOptions(options, name, base);
      });
    }
  }

  /** These settings under their YAML names (what a stage manifest records). */
  public Map<String, Object> keys() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("seeds", seeds.toString());
    m.put("best_of", bestOf);
    m.put("turns", turns);
    m.put("temperature", sampling.temperature());
    m.put("top_p", sampling.topP());
    m.put("max_new_tokens", sampling.maxTokens());
    if (demonstrations != null) {
      m.put("demonstrations", demonstrations.toString());
      m.put("shots", shots);
    }
    if (userModel != null) {
      Map<String, Object> u = new LinkedHashMap<>();
      u.put("name", userModel.name());
      u.put("model", userModel.endpoint() == null ? null : userModel.endpoint().model());
      u.put("base_url", userModel.endpoint() == null ? List.of() : userModel.endpoint().baseUrls());
      u.put("local", userModel.local() == null ? null : userModel.local().toString());
      m.put("user_model", u);
    }
    m.put("max_length", maxLength);
    m.put("reward_batch_size", rewardBatchSize);
    return m;
  }

  private static int integer(JsonNode n, String key, int fallback, String source) {
    JsonNode v = n.get(key);
    if (v == null || v.isNull()) {
      return fallback;
    }
    if (!v.isIntegralNumber()) {
      throw InvalidInputException.field(source, key, "expected an integer, found " + v);
    }
    return v.asInt();
  }

  private static double number(JsonNode n, String key, double fallback, String source) {
    JsonNode v = n.get(key);
    if (v == null || v.isNull()) {
      return fallback;
    }
    if (!v.isNumber()) {
      throw InvalidInputException.field(source, key, "expected a number, found " + v);
    }
    return v.asDouble();
  }
}
