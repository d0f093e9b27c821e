package dev.zephyr.train.recipe;

import ai.djl.Device;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import dev.zephyr.core.InvalidInputException;
import dev.zephyr.core.config.ConfigKeys;
import dev.zephyr.core.config.TreeBinding;
import dev.zephyr.core.device.Devices;
import dev.zephyr.core.io.Json;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * {@code zephyr rmsp --config FILE.yaml}: RM-guided self-play outside a pipeline. The keys of a pipeline's
 * {@code rmsp} stage ({@link BestOfNConfig}) plus what the pipeline would supply:
 *
 * <pre>
 * model_name_or_path: runs/base        # the assistant (a local model directory)
 * reward_model_path: runs/rm           # a zephyr rm output (score.weight and its tokenizer)
 * output_dir: data/rmsp                # dialogues.jsonl, demonstrations.jsonl (messages layout)
 * seed: 42
 * seeds: questions.jsonl
 * best_of: 4
 * device: gpu                          # optional: cpu, gpu or gpu:N (default: DJL's default device)
 * </pre>
 *
 * Relative paths resolve against the YAML file's directory; an unknown key is refused with its line.
 *
 * @param model the assistant model directory
 * @param rewardModel the reward model directory
 * @param outputDir where the dialogues and SFT rows go
 * @param seed sampling seed
 * @param selfPlay the self-play settings
 * @param device {@code device}: where the student and the reward model live ({@code cpu} or {@code gpu:N}), or null
 *     for DJL's default device; checked against the machine when the run starts
 */
@JsonDeserialize(using = RmspConfig.Binding.class)
public record RmspConfig(Path model, Path rewardModel, Path outputDir, long seed, BestOfNConfig selfPlay,
    String device) {
  private static final Set<String> OWN_KEYS = Set.of("model_name_or_path", "reward_model_path", "output_dir", "seed",
      "device");

  public RmspConfig {
    Objects.requireNonNull(model, "model_name_or_path");
    Objects.requireNonNull(rewardModel, "reward_model_path");
    Objects.requireNonNull(outputDir, "output_dir");
    Objects.requireNonNull(selfPlay, "selfPlay");
    device = device == null ? null : Devices.name(Devices.syntax(device, "RmspConfig", "device"));
  }

  /** This run with its models on {@code device} ({@code zephyr rmsp --device}). */
  public RmspConfig onDevice(Device device) {
    return new RmspConfig(model, rewardModel, outputDir, seed, selfPlay, Devices.name(device));
  }

  /** The self-play stage of this run, on its device. */
  public BestOfNRun run() {
    return new BestOfNRun(selfPlay, device == null ? null : Devices.syntax(device, "RmspConfig", "device"));
  }

  /**
   * Reads {@code yaml} (through {@link Binding}, as any Jackson YAML mapper does); errors name the file, the key and, for an unknown key, its line. */
  public static RmspConfig load(Path yaml) {
    return TreeBinding.readFile(yaml, RmspConfig.class, "recipe keys");
  }

  /**
   * The Jackson entry point: {@code readValue(file, RmspConfig.class)} parses the file as {@link #load} does. Content
   * not read from a file resolves relative paths against the working directory and names {@code RmspConfig}.
   */
  public static final class Binding extends TreeBinding<RmspConfig> {
    public Binding() {
      super(RmspConfig.class, "RmspConfig", "recipe keys", RmspConfig::parse);
    }
  }

  private static RmspConfig parse(JsonNode n, Path yaml, String source) {
    Set<String> known = new HashSet<>(OWN_KEYS);
    known.addAll(BestOfNConfig.KEYS);
    ConfigKeys.requireKnown(n, known, yaml, source, "");
    Path base = yaml == null ? Path.of("").toAbsolutePath() : yaml.toAbsolutePath().getParent();
    Map<String, Object> selfPlay = new LinkedHashMap<>();
    @SuppressWarnings("unchecked")
    Map<String, Object> all = Json.mapper().convertValue(n, LinkedHashMap.class);
    all.forEach((k, v) -> {
      if (!OWN_KEYS.contains(k)) {
        selfPlay.put(k, v);
      }
    });
    JsonNode seed = n.get("seed");
    if (seed != null && !seed.isIntegralNumber()) {
      throw InvalidInputException.field(source, "seed", "expected an integer, found " + seed);
    }
    JsonNode device = n.get("device");
    if (device != null && !device.isNull() && !device.isTextual()) {
      throw InvalidInputException.field(source, "device", "expected cpu, gpu or gpu:N, found " + device);
    }
    return new RmspConfig(path(n, "model_name_or_path", source, base), path(n, "reward_model_path", source, base),
        path(n, "output_dir", source, base), seed == null ? 42 : seed.asLong(),
        BestOfNConfig.fromOptions(selfPlay, source, base),
        device == null || device.isNull() ? null : Devices.name(Devices.syntax(device.asText(), source, "device")));
  }

  private static Path path(JsonNode n, String key, String source, Path base) {
    if (!n.path(key).isTextual()) {
      throw InvalidInputException.field(source, key, "required: a local directory path");
    }
    return base.resolve(n.get(key).asText()).normalize();
  }
}
