package dev.zephyr.core.chat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReferenceArray;

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

  /**
   * The model part of response-cache keys ({@code CachedChatModel}): the model that actually answers, so that
   * several configurations of one served model share cached calls. The default is {@link #name()}.
   */
  default String cacheKeyModel() {
    return name();
  }

  /** Answers every request, in order. */
  List<ChatResponse> complete(List<ChatRequest> requests);

  /**
   * Answers every request and hands each outcome to {@code handler} as soon as it exists, so callers can persist
   * finished work before the whole batch is done. One failed request does not stop the others: it reaches the handler
   * as a {@link ProviderException}. Returns when every request has an outcome. The handler may be called from several
   * threads at once.
   *
   * <p>The default answers the batch with {@link #complete(List)}; when the batch fails it retries request by request
   * so that every request gets its own outcome. Implementations that run requests concurrently override this.
   */
  default void completeEach(List<ChatRequest> requests, ResultHandler handler) {
    List<ChatResponse> responses;
    try {
      responses = complete(requests);
    } catch (ProviderException batchFailure) {
      if (requests.size() == 1) {
        handler.onResult(0, null, batchFailure);
        return;
      }
      for (int i = 0; i < requests.size(); i++) {
        ChatResponse response;
        try {
          response = complete(requests.get(i));
        } catch (ProviderException e) {
          handler.onResult(i, null, e);
          continue;
        }
        handler.onResult(i, response, null);
      }
      return;
    }
    for (int i = 0; i < responses.size(); i++) {
      handler.onResult(i, responses.get(i), null);
    }
  }

  /**
   * {@link #complete(List)} for implementations whose real work is in an overridden {@link #completeEach}: answers
   * every request through {@code model.completeEach}, in request order, and throws the first failure that arrived.
   */
  static List<ChatResponse> completeViaEach(ChatModel model, List<ChatRequest> requests) {
    AtomicReferenceArray<ChatResponse> out = new AtomicReferenceArray<>(requests.size());
    ProviderException[] firstFailure = new ProviderException[1];
    model.completeEach(requests, (i, response, failure) -> {
      if (failure != null) {
        synchronized (firstFailure) {
          if (firstFailure[0] == null) {
            firstFailure[0] = failure;
          }
        }
      } else {
        out.set(i, response);
      }
    });
    if (firstFailure[0] != null) {
      throw firstFailure[0];
    }
    List<ChatResponse> list = new ArrayList<>(requests.size());
    for (int i = 0; i < requests.size(); i++) {
      list.add(out.get(i));
    }
    return list;
  }

  /** Receives the outcome of one request of a {@link #completeEach} batch: a response or a failure, never both. */
  @FunctionalInterface
  interface ResultHandler {
    void onResult(int index, ChatResponse response, ProviderException failure);
  }

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
