package dev.zephyr.cli;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import dev.zephyr.core.chat.ChatModel;
import dev.zephyr.core.generate.LocalChatModel;
import dev.zephyr.core.model.LlamaModel;
import dev.zephyr.core.tokenizer.ChatTokenizer;
import dev.zephyr.core.tokenizer.Tokenizer;
import dev.zephyr.eval.mc.LocalLoglikelihoodModel;
import dev.zephyr.eval.mc.LoglikelihoodModel;
import java.nio.file.Path;

/**
 * A local Hugging Face model directory (config.json, safetensors) with its tokenizer (tokenizer.json,
 * tokenizer_config.json with the chat template), as the evaluation commands use it: a {@link ChatModel} that applies
 * the model's own chat template, and a {@link LoglikelihoodModel} for multiple-choice scoring. Owns native memory.
 */
final class LocalModels implements AutoCloseable {
  private final NDManager manager;
  private final LlamaModel model;
  private final Tokenizer tokenizer;

  private LocalModels(NDManager manager, LlamaModel model, Tokenizer tokenizer) {
    this.manager = manager;
    this.model = model;
    this.tokenizer = tokenizer;
  }

  /**
   * Loads the model onto {@code device}; the tokenizer comes from {@code tokenizerDir}, or the model directory when
   * null.
   */
  static LocalModels load(Path modelDir, Path tokenizerDir, Device device) {
    NDManager manager = NDManager.newBaseManager(device);
    try {
      LlamaModel model = LlamaModel.load(modelDir, manager);
      Tokenizer tokenizer = Tokenizer.load(tokenizerDir != null ? tokenizerDir : modelDir);
      return new LocalModels(manager, model, tokenizer);
    } catch (RuntimeException e) {
      manager.close();
      throw e;
    }
  }

  /** A chat model over the decoder; prompts are rendered with the tokenizer's chat template. */
  ChatModel chatModel(String name) {
    ChatTokenizer chat = ChatTokenizer.of(tokenizer);
    return new LocalChatModel(name, model, messages -> chat.applyChatTemplate(messages, true).inputIds(),
        ids -> tokenizer.decode(ids, true), manager, false);
  }

  LoglikelihoodModel loglikelihood(int maxLength) {
    return new LocalLoglikelihoodModel(model, tokenizer, manager, maxLength);
  }

  @Override
  public void close() {
    tokenizer.close();
    model.close();
    manager.close();
  }
}
