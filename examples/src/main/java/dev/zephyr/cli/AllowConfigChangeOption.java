package dev.zephyr.cli;

import dev.zephyr.train.loop.TrainingArguments;
import picocli.CommandLine.Option;

/**
 * Picocli mixin {@code --allow-config-change} for the commands that train from one recipe ({@code sft}, {@code dpo},
 * {@code rm}, {@code ppo}, {@code rloo}): the command-line form of the recipe key {@code allow_config_change}.
 */
final class AllowConfigChangeOption {
  @Option(names = "--allow-config-change",
      description = "Resume from run_dir's newest checkpoint even if hyper-parameters that shape the result"
          + " (learning_rate, max_length, ...) differ from the ones it was written with; a warning names them."
          + " Same as the recipe key allow_config_change: true.")
  boolean allowConfigChange;

  /** {@code training} allowing a changed configuration when the flag was given, unchanged otherwise. */
  TrainingArguments applyTo(TrainingArguments training) {
    return allowConfigChange ? training.toBuilder().allowConfigChange(true).build() : training;
  }
}
