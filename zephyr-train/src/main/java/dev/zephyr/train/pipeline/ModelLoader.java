package dev.zephyr.train.pipeline;

import dev.zephyr.core.chat.ChatModel;
import java.nio.file.Path;

/**
 * Opens a model directory a stage produced as a {@link ChatModel} (for evaluation, or for sampling the student in
 * the AI-feedback pool). The local decoder's chat model is the usual implementation; tests pass a lambda or a mock.
 */
@FunctionalInterface
public interface ModelLoader {
  ChatModel open(Path modelDir);
}
