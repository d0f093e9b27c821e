package dev.zephyr.cli;

import picocli.CommandLine.Mixin;
import dev.zephyr.core.chat.ChatModel;
import java.nio.file.Path;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Picocli mixin for the model an evaluation command talks to: a local Hugging Face model directory ({@code --model},
 * as in every command) or a model served at an OpenAI-compatible endpoint ({@code --model-name} at
 * {@code --model-url}).
 */
final class ModelUnderTestOptions {
  @Spec(Spec.Target.MIXEE)
  CommandSpec command;

  @Option(names = "--model", paramLabel = "DIR", description = "local Hugging Face model directory (or --model-url)")
  Path model;

  @Option(names = "--adapter", paramLabel = "DIR", description = "PEFT LoRA adapter (adapter_config.json +"
      + " adapter_model.safetensors) applied to --model without merging; its tokenizer files, if any, are used")
  Path adapter;

  @Option(names = "--model-url", paramLabel = "URL",
      description = "OpenAI-compatible base URL of a served model (instead of --model; needs --model-name)")
  String modelUrl;

  @Option(names = "--model-name", paramLabel = "NAME", description = "the model's name: the one served at"
      + " --model-url, and the name in result files (default with --model: the directory's name)")
  String modelName;

  @Option(names = "--tokenizer", paramLabel = "DIR",
      description = "tokenizer directory for --model (default: the model directory)")
  Path tokenizerDir;

  @Option(names = "--api-key-env", defaultValue = "OPENAI_API_KEY",
      description = "environment variable with the API key for --model-url")
  String apiKeyEnv;

  @Mixin DeviceOption device;

  @Mixin Keep16BitOption keep16Bit;

  @Option(names = "--model-path", paramLabel = "DIR", hidden = true, description = "old name of --model")
  void modelPath(Path dir) {
    model = dir;
  }

  /** The model; closing it frees a local model's native memory. */
  ChatModel open() {
    validate();
    return ChatModels.underTest(displayName(), modelUrl, model, adapter, tokenizerDir, apiKeyEnv,
        model == null ? null : device.resolve(), keep16Bit.resolve(false));
  }

  /** The name used in result files: {@code --model-name}, else the adapter's or the model directory's name. */
  String displayName() {
    validate();
    Path named = adapter != null ? adapter : model;
    return modelName != null ? modelName : named.toAbsolutePath().normalize().getFileName().toString();
  }

  /** A usage error unless exactly one of a model directory or a served model (URL and name) is given. */
  void validate() {
    if (model != null && modelUrl != null) {
      throw CliErrors.usageError(command, "give --model DIR or --model-url URL, not both");
    }
    if (adapter != null && model == null) {
      throw CliErrors.usageError(command, "--adapter applies to a local --model DIR, not to --model-url");
    }
    if (model == null && (modelUrl == null || modelName == null)) {
      throw CliErrors.usageError(command, "give either --model DIR or both --model-url URL and --model-name NAME");
    }
  }
}
