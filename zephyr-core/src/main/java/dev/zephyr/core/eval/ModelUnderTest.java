package dev.zephyr.core.eval;

import dev.zephyr.core.chat.ChatModel;
import java.nio.file.Path;
import java.util.Objects;
import java.util.function.Function;

/**
 * The model a pipeline evaluates: its local Hugging Face model directory, and how to open that directory as a
 * {@link ChatModel}. Evaluations that only chat (MT-Bench, AlpacaEval) open the chat model; those that score
 * log-likelihoods (multiple choice) read the directory themselves.
 *
 * @param directory the model directory a stage produced (config.json, safetensors, tokenizer files)
 * @param chatOpener opens a directory as a chat model (the pipeline's model loader)
 */
public record ModelUnderTest(Path directory, Function<Path, ChatModel> chatOpener) {
  public ModelUnderTest {
    Objects.requireNonNull(directory, "directory");
    Objects.requireNonNull(chatOpener, "chatOpener");
  }

  /** A new chat model over {@link #directory()}; the caller closes it. */
  public ChatModel openChat() {
    return chatOpener.apply(directory);
  }

  /**
   * A short name for reports: the directory with its parent ({@code 03-ddpo/model}), since a stage's model directory
   * is always called {@code model}.
   */
  public String name() {
    Path abs = directory.toAbsolutePath().normalize();
    Path parent = abs.getParent();
    return parent == null || parent.getFileName() == null ? String.valueOf(abs.getFileName())
        : parent.getFileName() + "/" + abs.getFileName();
  }
}
