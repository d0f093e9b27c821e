package dev.zephyr.train.recipe;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * What a recipe may say besides the keys the parsers read: the Python-stack keys that change nothing about what is
 * trained (accepted, with one WARN line naming them), and the TRL keys that do change training but are not
 * implemented yet (refused by name unless set to the value that keeps TRL's default behaviour). Every other key is
 * refused as unknown, with a did-you-mean.
 */
public final class RecipeKeys {
  /**
   * Keys of transformers' {@code TrainingArguments}, TRL's configs and the handbook's {@code ModelArguments} that
   * steer only the Python process around the run (hub uploads, loggers, worker counts, kernels, how weights are
   * loaded): a recipe copied from the handbook keeps them, and the trained weights are the same without them.
   */
  public static final Set<String> PYTHON_ONLY = Set.of(
      "push_to_hub", "hub_model_id", "hub_strategy", "hub_private_repo", "hub_token", "hub_model_revision",
      "report_to", "run_name", "logging_dir", "logging_first_step", "logging_strategy", "log_level",
      "overwrite_output_dir", "save_strategy", "save_only_model", "remove_unused_columns",
      "torch_dtype", "attn_implementation", "use_flash_attention_2", "use_liger_kernel", "use_liger",
      "trust_remote_code", "model_revision", "ddp_timeout", "dataloader_num_workers", "dataloader_pin_memory",
      "dataloader_persistent_workers", "dataset_num_proc", "preprocessing_num_workers", "tf32", "do_eval",
      "do_train", "gradient_checkpointing_kwargs", "use_logits_to_keep");

  /**
   * Keys that change what is trained and that zephyr does not implement yet, each with the values that leave the
   * run as zephyr trains it (and are therefore accepted). Implementing a key means removing its entry here and
   * reading it in {@link Recipes}.
   */
  public static final Map<String, Harmless> NOT_SUPPORTED_YET = Map.ofEntries(
      Map.entry("truncation_mode", new Harmless("keep_start", v -> v.asText().equals("keep_start"))));

  /**
   * Mixed-precision switches zephyr does not compute with: accepted, and when true they get one WARN line saying what
   * happens instead ({@code fp16}: float32 arithmetic; {@code bf16: true} is read as a training key and multiplies in
   * bfloat16). Frozen 16-bit weights are kept at 2 bytes whatever the key says ({@code FrozenWeights}).
   */
  public static final Set<String> MIXED_PRECISION = Set.of("fp16");

  /**
   * Keys TRL itself dropped, still found in recipes written for older versions; accepted with a WARN that says what
   * applies instead.
   */
  public static final Map<String, String> REMOVED_IN_TRL = Map.of(
      "max_prompt_length", "removed in TRL 0.29; only max_length (keep_start) applies");

  private RecipeKeys() {}

  /** {@code "no"}, or a bare {@code no} that a YAML 1.1 reader took for false. */
  static boolean isNo(JsonNode v) {
    return v.isBoolean() ? !v.asBoolean() : v.asText().equals("no");
  }

  /** The values of a not-yet-supported key that change nothing, described for the error message. */
  public record Harmless(String description, Predicate<JsonNode> test) {
    /** No value is harmless: setting the key at all asks for something zephyr does not do. */
    static final Harmless NOTHING = new Harmless(null, v -> false);

    boolean accepts(JsonNode value) {
      return value == null || value.isNull() || test.test(value);
    }
  }
}
