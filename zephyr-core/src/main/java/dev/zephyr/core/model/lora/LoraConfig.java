package dev.zephyr.core.model.lora;

import dev.zephyr.core.InvalidInputException;
import java.util.ArrayList;
import java.util.List;

/**
 * A LoRA adapter's settings, with PEFT's {@code LoraConfig} names: rank {@code r}, {@code lora_alpha},
 * {@code lora_dropout} (applied to the adapter's input only, in training), {@code target_modules} (any of the seven
 * Llama projections; {@code all-linear} means all of them, never {@code lm_head}), {@code use_rslora} (scaling
 * alpha/sqrt(r) instead of alpha/r) and {@code modules_to_save} ({@code embed_tokens}, {@code lm_head}: trained full
 * copies).
 *
 * @param baseModelNameOrPath written to {@code adapter_config.json}; may be null
 */
public record LoraConfig(int r, double loraAlpha, double loraDropout, List<String> targetModules, boolean useRslora,
    List<String> modulesToSave, String baseModelNameOrPath) {

  /** The projections of a Llama-family decoder layer that an adapter may target, in layer order. */
  public static final List<String> PROJECTIONS = List.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj",
      "up_proj", "down_proj");
  /** PEFT's shorthand for every linear layer but the output head. */
  public static final String ALL_LINEAR = "all-linear";
  /** Modules a {@code modules_to_save} entry may name. */
  public static final List<String> SAVABLE_MODULES = List.of("embed_tokens", "lm_head");

  private static final String SOURCE = "LoRA config";

  public LoraConfig {
    if (r <= 0) {
      throw InvalidInputException.field(SOURCE, "r", "must be positive, got " + r);
    }
    if (!(loraAlpha > 0) || Double.isInfinite(loraAlpha)) {
      throw InvalidInputException.field(SOURCE, "lora_alpha", "must be positive and finite, got " + loraAlpha);
    }
    if (!(loraDropout >= 0 && loraDropout < 1)) {
      throw InvalidInputException.field(SOURCE, "lora_dropout", "must be in [0, 1), got " + loraDropout);
    }
    targetModules = expandTargets(targetModules);
    modulesToSave = modulesToSave == null ? List.of() : List.copyOf(modulesToSave);
    for (String m : modulesToSave) {
      if (!SAVABLE_MODULES.contains(m)) {
        throw InvalidInputException.field(SOURCE, "modules_to_save", "'" + m + "' is not one of " + SAVABLE_MODULES);
      }
    }
  }

  /** Rank r on all seven projections, dropout 0, no rsLoRA, nothing saved besides the adapters. */
  public static LoraConfig of(int r, double loraAlpha) {
    return new LoraConfig(r, loraAlpha, 0, List.of(ALL_LINEAR), false, List.of(), null);
  }

  /** The factor on B·A: {@code lora_alpha / r}, or {@code lora_alpha / sqrt(r)} with {@code use_rslora}. */
  public double scaling() {
    return useRslora ? loraAlpha / Math.sqrt(r) : loraAlpha / r;
  }

  public LoraConfig withTargetModules(List<String> modules) {
    return new LoraConfig(r, loraAlpha, loraDropout, modules, useRslora, modulesToSave, baseModelNameOrPath);
  }

  public LoraConfig withDropout(double dropout) {
    return new LoraConfig(r, loraAlpha, dropout, targetModules, useRslora, modulesToSave, baseModelNameOrPath);
  }

  public LoraConfig withRslora(boolean rslora) {
    return new LoraConfig(r, loraAlpha, loraDropout, targetModules, rslora, modulesToSave, baseModelNameOrPath);
  }

  public LoraConfig withModulesToSave(List<String> modules) {
    return new LoraConfig(r, loraAlpha, loraDropout, targetModules, useRslora, modules, baseModelNameOrPath);
  }

  public LoraConfig withBaseModel(String nameOrPath) {
    return new LoraConfig(r, loraAlpha, loraDropout, targetModules, useRslora, modulesToSave, nameOrPath);
  }

  /** {@code all-linear} becomes the seven projections; other names must be projections; layer order, no repeats. */
  private static List<String> expandTargets(List<String> given) {
    if (given == null || given.isEmpty()) {
      throw InvalidInputException.field(SOURCE, "target_modules", "is empty; name projections of " + PROJECTIONS
          + " or '" + ALL_LINEAR + "'");
    }
    if (given.contains(ALL_LINEAR)) {
      if (given.size() > 1) {
        throw InvalidInputException.field(SOURCE, "target_modules", "'" + ALL_LINEAR + "' must stand alone, got "
            + given);
      }
      return PROJECTIONS;
    }
    List<String> out = new ArrayList<>();
    for (String p : PROJECTIONS) {
      if (given.contains(p)) {
        out.add(p);
      }
    }
    for (String g : given) {
      if (!PROJECTIONS.contains(g)) {
        String hint = g.equals("lm_head") ? " (PEFT never adapts lm_head with all-linear; use modules_to_save)" : "";
        throw InvalidInputException.field(SOURCE, "target_modules", "'" + g + "' is not one of " + PROJECTIONS
            + hint);
      }
    }
    return List.copyOf(out);
  }
}
