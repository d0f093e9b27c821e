package dev.zephyr.core.chat;

import java.util.List;

/**
 * Anything that continues conversations: the local decoder, an OpenAI-compatible endpoint (vLLM, llama.cpp server,
 * Ollama, OpenAI), a rule-based teacher, or a Mockito mock in an application's tests.
 *
 * <p>Implementations batch and parallelise {@link #complete(List)} as they see fit; results come back in request
 * order. A failed call throws {@link ProviderException}.
 */
public interface ChatModel extends AutoCloseable {

  /** A stable name for this model, used in file names, caches and reports. */
  String name();

  /** Answers every request, in order. */
  List<ChatResponse> complete(List<ChatRequest> requests);

  /** Answers one request. */
  default ChatResponse complete(ChatRequest request) {
    return complete(List.of(request)).get(0);
  }

  /** Convenience: one user message, default sampling, the text of the first choice. */
  default String chat(String userMessage) {
    return complete(ChatRequest.user(userMessage)).text();
  }

  /** Releases native memory, connections or threads. The default does nothing. */
  @Override
  default void close() {}
}
