package dev.zephyr.quickstart;

import ai.djl.ndarray.NDManager;
import dev.zephyr.core.chat.ChatModel;
import dev.zephyr.core.chat.ChatRequest;
import dev.zephyr.core.chat.ChatResponse;
import dev.zephyr.core.generate.LocalChatModel;
import dev.zephyr.core.model.LlamaModel;
import dev.zephyr.core.tokenizer.ChatTokenizer;
import dev.zephyr.core.tokenizer.Tokenizer;
import java.nio.file.Path;
import java.util.List;

/**
 * A Hugging Face model directory (weights plus tokenizer files) opened as a {@link ChatModel}: the local decoder
 * behind the tokenizer's chat template. Closing it frees the weights, the tokenizer and the native memory.
 */
public final class LocalStudent implements ChatModel {
  private final NDManager manager;
  private final Tokenizer tokenizer;
  private final LocalChatModel model;

  private LocalStudent(NDManager manager, Tokenizer tokenizer, LocalChatModel model) {
    this.manager = manager;
    this.tokenizer = tokenizer;
    this.model = model;
  }

  /** Opens {@code dir} under the name {@code name}. */
  public static LocalStudent open(Path dir, String name) {
    NDManager manager = NDManager.newBaseManager();
    Tokenizer tokenizer = null;
    try {
      tokenizer = Tokenizer.load(dir);
      LlamaModel llama = LlamaModel.load(dir, manager);
      ChatTokenizer chat = ChatTokenizer.of(tokenizer);
      return new LocalStudent(manager, tokenizer,
          new LocalChatModel(name, llama, chat::formatPrompt, tokenizer::decodeText, manager, true));
    } catch (RuntimeException e) {
      if (tokenizer != null) {
        tokenizer.close();
      }
      manager.close();
      throw e;
    }
  }

  @Override
  public String name() {
    return model.name();
  }

  @Override
  public List<ChatResponse> complete(List<ChatRequest> requests) {
    return model.complete(requests);
  }

  @Override
  public void close() {
    model.close();
    tokenizer.close();
    manager.close();
  }
}
