package dev.zephyr.cli;

import ai.djl.Device;
import dev.zephyr.core.chat.ChatModel;
import dev.zephyr.core.generate.LocalModel;
import dev.zephyr.eval.mc.LocalLoglikelihoodModel;
import dev.zephyr.eval.mc.LoglikelihoodModel;
import java.nio.file.Path;

/**
 * A local Hugging Face model directory (config.json, safetensors) with its tokenizer (tokenizer.json,
 * tokenizer_config.json with the chat template), as the evaluation commands use it: a {@link ChatModel} that applies
 * the model's own chat template, and a {@link LoglikelihoodModel} for multiple-choice scoring. Opened by the
 * library's {@link LocalModel#open}, as the pipeline's evaluations open theirs. Owns native memory.
 */
final class LocalModels implements AutoCloseable {
  private final LocalModel local;

  private LocalModels(LocalModel local) {
    this.local = local;
  }

  /**
   * Loads {@code modelDir} onto {@code device} (DJL's default when null) with the PEFT adapter in {@code adapterDir}
   * applied (none when null; a {@code modelDir} that is itself an adapter directory brings its base). The tokenizer
   * comes from {@code tokenizerDir}, else the adapter directory when it holds one, else the base.
   */
  static LocalModels load(Path modelDir, Path adapterDir, Path tokenizerDir, Device device) {
    return load(modelDir, adapterDir, tokenizerDir, device, false);
  }

  /** As {@link #load(Path, Path, Path, Device)}; {@code keep16Bit} holds 16-bit weight matrices at 2 bytes. */
  static LocalModels load(Path modelDir, Path adapterDir, Path tokenizerDir, Device device, boolean keep16Bit) {
    return new LocalModels(LocalModel.open(modelDir, adapterDir, tokenizerDir,
        new LocalModel.Options(device, keep16Bit)));
  }

  /** A chat model over the decoder; prompts are rendered with the tokenizer's chat template. */
  ChatModel chatModel(String name) {
    return local.chatModel(name);
  }

  LoglikelihoodModel loglikelihood(int maxLength) {
    return new LocalLoglikelihoodModel(local.model(), local.tokenizer(), local.manager(), maxLength);
  }

  @Override
  public void close() {
    local.close();
  }
}
