package dev.zephyr.core.model;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/**
 * The {@code model_type} values of config.json this decoder understands. All three share the Llama block; they differ
 * in defaults (Qwen2 has q/k/v biases, Mistral a sliding window) and in the Hugging Face architecture name.
 */
public enum ModelType {
  LLAMA("llama", "LlamaForCausalLM"),
  MISTRAL("mistral", "MistralForCausalLM"),
  QWEN2("qwen2", "Qwen2ForCausalLM");

  private final String id;
  private final String architecture;

  ModelType(String id, String architecture) {
    this.id = id;
    this.architecture = architecture;
  }

  /** The config.json spelling ({@code "llama"}). */
  public String id() {
    return id;
  }

  /** The {@code architectures[0]} entry transformers writes for this type. */
  public String architecture() {
    return architecture;
  }

  /** Looks a {@code model_type} up in the registry. */
  public static Optional<ModelType> of(String id) {
    if (id == null) {
      return Optional.empty();
    }
    String key = id.toLowerCase(Locale.ROOT);
    return Arrays.stream(values()).filter(t -> t.id.equals(key)).findFirst();
  }
}
