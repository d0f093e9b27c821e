package dev.zephyr.data.feedback;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.zephyr.core.InvalidInputException;
import dev.zephyr.core.io.Json;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * UltraFeedback's principle system prompts ({@code principles_system_prompts.json}: principle name to prompt list) and
 * its sampling rule as the released code has it (not the README table): ShareGPT and UltraChat draw helpfulness 3/5,
 * truthfulness 1/5, honesty 1/5; FLAN helpfulness 4/5, verbalized calibration 1/5; Evol-Instruct helpfulness;
 * TruthfulQA and FalseQA honesty or truthfulness 1/2 each; anything else helpfulness. An honesty draw becomes verbalized
 * calibration with probability 0.1. The prompt is then uniform within the principle.
 */
public record Principles(Map<String, List<String>> prompts) {

  /** A drawn principle and its system prompt. */
  public record Draw(String principle, String systemPrompt) {}

  public Principles {
    prompts = Map.copyOf(prompts);
  }

  /** Loads the JSON file. */
  public static Principles load(Path file) {
    try {
      Map<String, List<String>> m = Json.mapper().readValue(file.toFile(), new TypeReference<>() {});
      for (String needed : List.of("helpfulness", "honesty", "truthfulness", "verbalized_calibration")) {
        if (!m.containsKey(needed) || m.get(needed).isEmpty()) {
          throw InvalidInputException.field(file.toString(), needed, "principle has no prompts");
        }
      }
      return new Principles(m);
    } catch (IOException e) {
      throw new InvalidInputException(file.toString(), 0, null, "cannot read principles: " + e.getMessage(), e);
    }
  }

  /** Draws a principle for a prompt of {@code source} (null means "other"). */
  public Draw sample(String source, Random random) {
    String s = source == null ? "" : source;
    String principle = switch (s) {
      case "sharegpt", "ultrachat" -> pick(random, "helpfulness", "helpfulness", "helpfulness", "truthfulness",
          "honesty");
      case "flan" -> pick(random, "helpfulness", "helpfulness", "helpfulness", "helpfulness", "verbalized_calibration");
      case "truthful_qa", "false_qa" -> pick(random, "honesty", "truthfulness");
      default -> "helpfulness";
    };
    if (principle.equals("honesty") && random.nextDouble() >= 0.9) {
      principle = "verbalized_calibration";
    }
    List<String> pool = prompts.get(principle);
    return new Draw(principle, pool.get(random.nextInt(pool.size())));
  }

  private static String pick(Random random, String... options) {
    return options[random.nextInt(options.length)];
  }
}
