package dev.zephyr.cli;

import ai.djl.ndarray.NDManager;
import dev.zephyr.core.chat.ChatModel;
import dev.zephyr.core.generate.LocalChatModel;
import dev.zephyr.core.model.LlamaModel;
import dev.zephyr.core.model.lora.AdaptedModel;
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

  /** Loads the model; the tokenizer comes from {@code tokenizerDir}, or the model directory when null. */
  static LocalModels load(Path modelDir, Path tokenizerDir) {
    return load(modelDir, null, tokenizerDir);
  }

  /**
   * Loads {@code modelDir} with the PEFT adapter in {@code adapterDir} applied (none when null; a {@code modelDir}
   * that is itself an adapter directory brings its base). The tokenizer comes from {@code tokenizerDir}, else the
   * adapter directory when it holds one, else the base.
   */
  static LocalModels load(Path modelDir, Path adapterDir, Path tokenizerDir) {
    AdaptedModel.Source source = AdaptedModel.Source.of(modelDir, adapterDir);
    NDManager manager = NDManager.newBaseManager();
    try {
      LlamaModel model = AdaptedModel.load(source, manager).model();
      Tokenizer tokenizer = Tokenizer.load(tokenizerDir != null ? tokenizerDir : source.tokenizerDir());
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
