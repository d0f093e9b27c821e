package dev.zephyr.core.model.lora;

import ai.djl.ndarray.types.Shape;
import dev.zephyr.core.model.LlamaWeights;
import dev.zephyr.core.model.ModelConfig;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Names and shapes of a LoRA adapter's tensors for a given base config, in PEFT's naming. */
final class LoraLayout {
  /** What PEFT puts before a causal LM's parameter names in {@code adapter_model.safetensors}. */
  static final String PEFT_PREFIX = "base_model.model.";

  private LoraLayout() {}

  /** Projection prefixes the adapter targets, layer by layer ({@code model.layers.0.self_attn.q_proj}, ...). */
  static List<String> projections(ModelConfig base, LoraConfig lora) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < base.numHiddenLayers(); i++) {
      for (String t : lora.targetModules()) {
        String block = t.equals("gate_proj") || t.equals("up_proj") || t.equals("down_proj") ? ".mlp." : ".self_attn.";
        out.add("model.layers." + i + block + t);
      }
    }
    return out;
  }

  /** The Hugging Face parameter a module to save replaces. */
  static String moduleParameter(String module) {
    return module.equals("lm_head") ? "lm_head.weight" : "model." + module + ".weight";
  }

  /** Every adapter tensor (without {@link #PEFT_PREFIX}) and its shape: A [r, in], B [out, r], module copies. */
  static Map<String, Shape> expectedShapes(ModelConfig base, LoraConfig lora) {
    Map<String, Shape> baseShapes = LlamaWeights.parameterShapes(base);
    Map<String, Shape> out = new LinkedHashMap<>();
    for (String p : projections(base, lora)) {
      Shape w = baseShapes.get(p + ".weight");
      out.put(p + LoraAdapter.A, new Shape(lora.r(), w.get(1)));
      out.put(p + LoraAdapter.B, new Shape(w.get(0), lora.r()));
    }
    for (String module : lora.modulesToSave()) {
      out.put(moduleParameter(module), new Shape(base.vocabSize(), base.hiddenSize()));
    }
    return out;
  }
}
