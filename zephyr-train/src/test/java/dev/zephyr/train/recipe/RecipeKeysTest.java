package dev.zephyr.train.recipe;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * The key lists that {@code zephyr sft --help} and {@code zephyr dpo --help} print are the keys the parsers read: every
 * listed key, given alone, takes effect (is not reported as a Python-stack key without effect), and Python-stack keys
 * pass with one WARN line naming them all.
 */
class RecipeKeysTest {
  /** A valid value for every key either recipe kind lists; a key added to a list needs one here. */
  private static final Map<String, String> SAMPLE = Map.ofEntries(
      Map.entry("output_dir", "out"), Map.entry("run_dir", "out-checkpoints"), Map.entry("learning_rate", "1.0e-4"), Map.entry("lr_scheduler_type", "cosine"),
      Map.entry("warmup_ratio", "0.1"), Map.entry("warmup_steps", "3"), Map.entry("num_train_epochs", "2"),
      Map.entry("max_steps", "5"), Map.entry("per_device_train_batch_size", "2"),
      Map.entry("gradient_accumulation_steps", "2"), Map.entry("max_grad_norm", "0.5"),
      Map.entry("weight_decay", "0.01"), Map.entry("adam_beta1", "0.8"), Map.entry("adam_beta2", "0.99"),
      Map.entry("adam_epsilon", "1.0e-6"), Map.entry("optim", "rmsprop"), Map.entry("seed", "7"), Map.entry("logging_steps", "1"),
      Map.entry("save_steps", "10"), Map.entry("save_total_limit", "2"), Map.entry("disable_tqdm", "true"),
      Map.entry("gradient_checkpointing", "false"), Map.entry("allow_config_change", "true"), Map.entry("model_name_or_path", "/m"),
      Map.entry("dataset_path", "/d.jsonl"), Map.entry("dataset_name", "/e.jsonl"),
      Map.entry("dataset_mixture", "{datasets: [{id: /f.jsonl}]}"), Map.entry("max_length", "64"),
      Map.entry("max_seq_length", "32"), Map.entry("packing", "true"), Map.entry("assistant_only_loss", "true"),
      Map.entry("completion_only_loss", "true"), Map.entry("ref_model_name_or_path", "/ref"),
      Map.entry("beta", "0.2"), Map.entry("label_smoothing", "0.1"), Map.entry("loss_type", "sigmoid"),
      Map.entry("loss_weights", "[1.0]"), Map.entry("rpo_alpha", "0.5"),
      Map.entry("precompute_ref_log_probs", "true"), Map.entry("pairs_per_forward", "2"),
      Map.entry("use_peft", "true"), Map.entry("lora_r", "8"), Map.entry("lora_alpha", "16"),
      Map.entry("lora_dropout", "0.1"), Map.entry("lora_target_modules", "all-linear"),
      Map.entry("lora_modules_to_save", "[lm_head]"), Map.entry("use_rslora", "true"),
      Map.entry("load_in_4bit", "true"), Map.entry("load_in_8bit", "false"),
      // an evaluation strategy other than no needs evaluation rows
      Map.entry("eval_strategy", "steps\ntest_split_size: 0.5"),
      Map.entry("evaluation_strategy", "steps\ntest_split_size: 0.5"), Map.entry("eval_steps", "5"),
      Map.entry("per_device_eval_batch_size", "4"), Map.entry("neftune_noise_alpha", "5"),
      Map.entry("test_split_size", "0.1"), Map.entry("eval_dataset_path", "/eval.jsonl"), Map.entry("device", "cpu"),
      Map.entry("bf16", "true"));

  @TempDir Path dir;

  @Test
  void everySftKeyTakesEffect() throws Exception {
    assertThat(Recipes.sftKeys()).containsOnlyKeys("training", "model and data", "sft", "peft");
    assertThat(Recipes.sftKeys().get("training")).contains("learning_rate", "gradient_checkpointing");
    assertThat(Recipes.sftKeys().get("sft")).contains("packing", "max_length");
    everyKeyTakesEffect(Recipes.sftKeys(), Recipes::loadSft);
  }

  @Test
  void everyDpoKeyTakesEffect() throws Exception {
    assertThat(Recipes.dpoKeys()).containsOnlyKeys("training", "model and data", "dpo", "peft");
    assertThat(Recipes.dpoKeys().get("dpo")).contains("beta", "loss_type").doesNotContain("packing");
    everyKeyTakesEffect(Recipes.dpoKeys(), Recipes::loadDpo);
  }

  @Test
  void fp16IsAcceptedAndSaysTheArithmeticIsFloat32AndBf16IsRead() throws Exception {
    assertThat(warnings(Recipes::loadSft, "fp16: true\n")).singleElement().asString()
        .contains("fp16: true computes in float32 here");
    assertThat(warnings(Recipes::loadDpo, "bf16: true\n")).isEmpty();
    assertThat(warnings(Recipes::loadDpo, "bf16: false\n")).isEmpty();
  }

  @Test
  void pythonStackKeysAreReportedTogetherAsWithoutEffect() throws Exception {
    List<String> reported = keysWithoutEffect(Recipes::loadDpo,
        "push_to_hub: true\nmax_prompt_length: 512\nreport_to: [wandb]\nbf16: false\n");
    assertThat(reported).as("max_prompt_length has its own warning; bf16: false is what zephyr does")
        .containsExactly("push_to_hub", "report_to");
    assertThat(RecipeKeys.PYTHON_ONLY).as("no key is both read and Python-only")
        .doesNotContainAnyElementsOf(Recipes.dpoKeys().values().stream().flatMap(List::stream).toList())
        .doesNotContainAnyElementsOf(Recipes.sftKeys().values().stream().flatMap(List::stream).toList())
        .doesNotContainAnyElementsOf(RecipeKeys.NOT_SUPPORTED_YET.keySet());
  }

  private void everyKeyTakesEffect(Map<String, List<String>> groups, Function<Path, ?> load) throws Exception {
    for (List<String> keys : groups.values()) {
      for (String key : keys) {
        assertThat(SAMPLE).as("a sample value for " + key).containsKey(key);
        assertThat(keysWithoutEffect(load, key + ": " + SAMPLE.get(key) + "\n")).as(key).isEmpty();
      }
    }
  }

  /** Loads a minimal recipe plus {@code extra} and returns the keys the parser logged as having no effect. */
  private List<String> keysWithoutEffect(Function<Path, ?> load, String extra) throws Exception {
    return warningEvents(load, extra).stream().filter(e -> e.getFormattedMessage().contains("Python-stack keys"))
        .flatMap(e -> List.of(((List<?>) e.getArgumentArray()[1]).toArray(String[]::new)).stream()).toList();
  }

  /** Loads a minimal recipe plus {@code extra} and returns the WARN lines the parser logged. */
  private List<String> warnings(Function<Path, ?> load, String extra) throws Exception {
    return warningEvents(load, extra).stream().map(ILoggingEvent::getFormattedMessage).toList();
  }

  private List<ILoggingEvent> warningEvents(Function<Path, ?> load, String extra) throws Exception {
    StringBuilder yaml = new StringBuilder();
    for (String required : List.of("output_dir", "model_name_or_path", "dataset_path")) {
      // dataset_mixture replaces dataset_path (a recipe with both is refused)
      boolean replaced = required.equals("dataset_path") && extra.startsWith("dataset_mixture:");
      if (!extra.startsWith(required + ":") && !replaced) {
        yaml.append(required).append(": ").append(SAMPLE.get(required)).append('\n');
      }
    }
    Path file = Files.writeString(dir.resolve("recipe.yaml"), yaml + extra);
    Logger logger = (Logger) LoggerFactory.getLogger(Recipes.class);
    Level old = logger.getLevel();
    ListAppender<ILoggingEvent> events = new ListAppender<>();
    events.start();
    logger.addAppender(events);
    logger.setLevel(Level.WARN);
    try {
      load.apply(file);
    } finally {
      logger.detachAppender(events);
      logger.setLevel(old);
    }
    return events.list.stream().filter(e -> e.getLevel().isGreaterOrEqual(Level.WARN)).toList();
  }

}
