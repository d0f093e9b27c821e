package dev.zephyr.core.model.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.zephyr.core.CheckpointException;
import dev.zephyr.core.InvalidInputException;
import dev.zephyr.core.io.AtomicFiles;
import dev.zephyr.core.io.Json;
import dev.zephyr.core.model.ModelConfig;
import dev.zephyr.core.model.safetensors.Dtype;
import dev.zephyr.core.model.safetensors.Safetensors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * A LoRA adapter directory as PEFT's {@code save_pretrained} writes it and {@code PeftModel.from_pretrained} reads
 * it: {@code adapter_config.json} and {@code adapter_model.safetensors} with tensors named
 * {@code base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight} and, for modules to save,
 * {@code base_model.model.lm_head.weight}. Reading refuses the PEFT options this decoder does not implement (DoRA,
 * per-layer rank or alpha patterns, layer subsets, trained biases) instead of silently computing something else.
 */
public final class PeftFiles {
  public static final String CONFIG = "adapter_config.json";
  public static final String WEIGHTS = "adapter_model.safetensors";

  private PeftFiles() {}

  /** Writes {@code adapter} into {@code dir} (created if absent), each file atomically; tensors in float32. */
  public static void save(LoraAdapter adapter, Path dir) {
    save(adapter.config(), adapter.parameters(), dir);
  }

  /**
   * Writes an adapter's {@code parameters} (named as {@link LoraAdapter#parameters()} names them) with its
   * {@code config} into {@code dir} (created if absent), each file atomically; tensors in float32.
   */
  public static void save(LoraConfig config, Map<String, NDArray> parameters, Path dir) {
    Map<String, NDArray> named = new LinkedHashMap<>();
    parameters.forEach((k, v) -> named.put(tensorName(k), v));
    Safetensors.save(dir.resolve(WEIGHTS), named, Dtype.F32);
    AtomicFiles.writeString(dir.resolve(CONFIG), configJson(config).toPrettyString() + "\n");
  }

  /** The name PEFT gives adapter parameter {@code parameter} in {@code adapter_model.safetensors}. */
  public static String tensorName(String parameter) {
    return LoraLayout.PEFT_PREFIX + parameter;
  }

  /** {@code adapter_config.json} with the fields PEFT writes for a plain LoRA adapter of a causal LM. */
  static ObjectNode configJson(LoraConfig c) {
    ObjectNode o = Json.mapper().createObjectNode();
    o.putObject("alpha_pattern");
    o.putNull("auto_mapping");
    o.put("base_model_name_or_path", c.baseModelNameOrPath());
    o.put("bias", "none");
    o.put("fan_in_fan_out", false);
    o.put("inference_mode", true);
    o.put("init_lora_weights", true);
    o.putNull("layer_replication");
    o.putNull("layers_pattern");
    o.putNull("layers_to_transform");
    o.putObject("loftq_config");
    if (c.loraAlpha() == Math.rint(c.loraAlpha())) {
      o.put("lora_alpha", (long) c.loraAlpha());
    } else {
      o.put("lora_alpha", c.loraAlpha());
    }
    o.put("lora_dropout", c.loraDropout());
    if (c.modulesToSave().isEmpty()) {
      o.putNull("modules_to_save");
    } else {
      c.modulesToSave().forEach(o.putArray("modules_to_save")::add);
    }
    o.put("peft_type", "LORA");
    o.put("r", c.r());
    o.putObject("rank_pattern");
    o.putNull("revision");
    c.targetModules().forEach(o.putArray("target_modules")::add);
    o.put("task_type", "CAUSAL_LM");
    o.put("use_dora", false);
    o.put("use_rslora", c.useRslora());
    return o;
  }

  /**
   * Reads the adapter in {@code dir} for a base with config {@code base}; the adapter owns a sub-manager of
   * {@code parent}.
   *
   * @throws InvalidInputException if {@code adapter_config.json} is missing, malformed or asks for what is not
   *     implemented here
   * @throws CheckpointException if the weights are missing or disagree with the base (naming the tensor)
   */
  public static LoraAdapter load(Path dir, ModelConfig base, NDManager parent) {
    LoraConfig config = readConfig(dir, base);
    Path weights = dir.resolve(WEIGHTS);
    if (!Files.isRegularFile(weights)) {
      String pickle = Files.exists(dir.resolve("adapter_model.bin"))
          ? "; only adapter_model.bin (pickle) is there, which is not read: convert it with safetensors" : "";
      throw new CheckpointException(dir + ": no " + WEIGHTS + pickle);
    }
    NDManager m = parent.newSubManager();
    try {
      Map<String, NDArray> tensors = new LinkedHashMap<>();
      for (Map.Entry<String, NDArray> e : Safetensors.load(weights, m).entrySet()) {
        if (!e.getKey().startsWith(LoraLayout.PEFT_PREFIX)) {
          throw new CheckpointException(weights + ": tensor '" + e.getKey() + "' does not start with '"
              + LoraLayout.PEFT_PREFIX + "' as PEFT names a causal LM's adapter tensors");
        }
        tensors.put(e.getKey().substring(LoraLayout.PEFT_PREFIX.length()), e.getValue());
      }
      return LoraAdapter.of(config, base, tensors, m, weights.toString());
    } catch (RuntimeException e) {
      m.close();
      throw e;
    }
  }

  /** Parses and checks {@code dir/adapter_config.json}; {@code base} resolves a regex {@code target_modules}. */
  public static LoraConfig readConfig(Path dir, ModelConfig base) {
    Path file = dir.resolve(CONFIG);
    if (!Files.isRegularFile(file)) {
      throw InvalidInputException.field(dir.toString(), CONFIG, "is missing: an adapter directory as PEFT saves it"
          + " holds " + CONFIG + " and " + WEIGHTS + (Files.isRegularFile(dir.resolve("config.json"))
          ? " (this looks like a full model directory: pass it as the model, not as the adapter)" : ""));
    }
    JsonNode j;
    try {
      j = Json.mapper().readTree(Files.readString(file));
    } catch (IOException e) {
      throw new InvalidInputException(file.toString(), 0, null, "not valid JSON: " + e.getMessage(), e);
    }
    String src = file.toString();
    require(src, j, "peft_type", "LORA");
    if (j.hasNonNull("task_type")) {
      require(src, j, "task_type", "CAUSAL_LM");
    }
    if (j.hasNonNull("bias")) {
      require(src, j, "bias", "none");
    }
    refuseTrue(src, j, "use_dora", "DoRA is not implemented");
    refuseTrue(src, j, "fan_in_fan_out", "Llama projections are never stored transposed");
    refuseSet(src, j, "rank_pattern", "per-module ranks are not implemented");
    refuseSet(src, j, "alpha_pattern", "per-module alphas are not implemented");
    refuseSet(src, j, "layers_to_transform", "adapting a subset of layers is not implemented");
    refuseSet(src, j, "layer_replication", "layer replication is not implemented");
    if (!j.path("r").canConvertToInt() || !j.path("r").isIntegralNumber()) {
      throw InvalidInputException.field(src, "r", "must be a positive integer, found " + j.path("r"));
    }
    if (!j.path("lora_alpha").isNumber()) {
      throw InvalidInputException.field(src, "lora_alpha", "must be a number, found " + j.path("lora_alpha"));
    }
    List<String> toSave = new ArrayList<>();
    j.path("modules_to_save").forEach(n -> toSave.add(n.asText()));
    try {
      return new LoraConfig(j.get("r").asInt(), j.get("lora_alpha").asDouble(), j.path("lora_dropout").asDouble(0),
          targets(src, j.path("target_modules"), base), j.path("use_rslora").asBoolean(false), toSave,
          j.path("base_model_name_or_path").isTextual() ? j.get("base_model_name_or_path").asText() : null);
    } catch (InvalidInputException e) {
      throw new InvalidInputException(src, 0, null, e.getMessage(), e);
    }
  }

  /**
   * PEFT's {@code target_modules}: a list of module names (matched on the last name component) or one string, which
   * is {@code all-linear} or a regular expression that must match a module's full name. A regex must select whole
   * projections (the same one in every layer), since adapting a subset of layers is not implemented.
   */
  private static List<String> targets(String src, JsonNode node, ModelConfig base) {
    if (node.isArray()) {
      List<String> out = new ArrayList<>();
      node.forEach(n -> {
        String name = n.asText();
        out.add(name.substring(name.lastIndexOf('.') + 1));
      });
      return out;
    }
    if (!node.isTextual()) {
      throw InvalidInputException.field(src, "target_modules", "must be a list of module names or a string, found "
          + node);
    }
    String text = node.asText();
    if (text.equals(LoraConfig.ALL_LINEAR)) {
      return List.of(LoraConfig.ALL_LINEAR);
    }
    Pattern pattern;
    try {
      pattern = Pattern.compile(text);
    } catch (PatternSyntaxException e) {
      throw InvalidInputException.field(src, "target_modules", "is not a valid regular expression: " + text);
    }
    List<String> out = new ArrayList<>();
    LoraConfig all = LoraConfig.of(1, 1);
    for (String projection : LoraConfig.PROJECTIONS) {
      int matched = 0;
      for (String module : LoraLayout.projections(base, all)) {
        if (module.endsWith("." + projection) && pattern.matcher(module).matches()) {
          matched++;
        }
      }
      if (matched == base.numHiddenLayers()) {
        out.add(projection);
      } else if (matched > 0) {
        throw InvalidInputException.field(src, "target_modules", "'" + text + "' selects " + projection + " in "
            + matched + " of " + base.numHiddenLayers() + " layers; adapting a subset of layers is not implemented");
      }
    }
    if (out.isEmpty()) {
      throw InvalidInputException.field(src, "target_modules", "'" + text + "' matches no projection of this model");
    }
    return out;
  }

  private static void require(String src, JsonNode j, String key, String expected) {
    String found = j.path(key).asText(null);
    if (!expected.equals(found)) {
      throw InvalidInputException.field(src, key, "must be \"" + expected + "\", found " + j.path(key));
    }
  }

  private static void refuseTrue(String src, JsonNode j, String key, String why) {
    if (j.path(key).asBoolean(false)) {
      throw InvalidInputException.field(src, key, "is true: " + why);
    }
  }

  private static void refuseSet(String src, JsonNode j, String key, String why) {
    JsonNode n = j.path(key);
    if (!n.isMissingNode() && !n.isNull() && !(n.isContainerNode() && n.isEmpty())) {
      throw InvalidInputException.field(src, key, "is " + n + ": " + why);
    }
  }
}
