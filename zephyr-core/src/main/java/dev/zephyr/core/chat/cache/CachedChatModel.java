package dev.zephyr.core.chat.cache;

import dev.zephyr.core.chat.ChatModel;
import dev.zephyr.core.chat.ChatRequest;
import dev.zephyr.core.chat.ChatResponse;
import dev.zephyr.core.chat.ProviderException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A {@link ChatModel} decorator that answers repeated calls from a durable {@link ResponseStore} and records every new
 * answer the moment it arrives, so a run killed midway and started again pays only for the calls it had not finished.
 *
 * <p>Calls are keyed by {@link CacheKey} over the delegate's {@link ChatModel#name()}, the messages and all sampling
 * parameters: ask for distinct samples of one prompt with distinct seeds, or they share one cache entry. Failures are
 * never cached. Several decorators may share one store; closing the decorator closes the delegate, not the store.
 */
public final class CachedChatModel implements ChatModel {
  private final ChatModel delegate;
  private final ResponseStore store;
  private final AtomicLong hits = new AtomicLong();
  private final AtomicLong misses = new AtomicLong();
  private final String keyModel;

  /**
   * Caches {@code delegate}'s calls in {@code store}, keyed with the delegate's {@link ChatModel#cacheKeyModel()}
   * (an endpoint's model name, so several configurations of one served model share entries).
   */
  public CachedChatModel(ChatModel delegate, ResponseStore store) {
    this.delegate = delegate;
    this.store = store;
    this.keyModel = delegate.cacheKeyModel();
  }

  @Override
  public String name() {
    return delegate.name();
  }

  @Override
  public String cacheKeyModel() {
    return keyModel;
  }

  /** The wrapped model. */
  public ChatModel delegate() {
    return delegate;
  }

  /** Calls answered from the store. */
  public long hits() {
    return hits.get();
  }

  /** Calls sent to the delegate. */
  public long misses() {
    return misses.get();
  }

  /** The cache key of {@code request} for this model. */
  public String keyOf(ChatRequest request) {
    return CacheKey.of(keyModel, request);
  }

  @Override
  public List<ChatResponse> complete(List<ChatRequest> requests) {
    return ChatModel.completeViaEach(this, requests);
  }

  @Override
  public void completeEach(List<ChatRequest> requests, ResultHandler handler) {
    List<ChatRequest> missing = new ArrayList<>();
    List<Integer> missingIndex = new ArrayList<>();
    List<String> missingKeys = new ArrayList<>();
    for (int i = 0; i < requests.size(); i++) {
      String key = keyOf(requests.get(i));
      var cached = store.get(key);
      if (cached.isPresent()) {
        hits.incrementAndGet();
        handler.onResult(i, cached.get(), null);
      } else {
        missing.add(requests.get(i));
        missingIndex.add(i);
        missingKeys.add(key);
      }
    }
    if (missing.isEmpty()) {
      return;
    }
    misses.addAndGet(missing.size());
    delegate.completeEach(missing, (j, response, failure) -> {
      if (response != null) {
        // durable before anyone downstream sees it
        store.put(missingKeys.get(j), keyModel, response);
      }
      handler.onResult(missingIndex.get(j), response, failure);
    });
  }

  @Override
  public void close() {
    delegate.close();
  }
}
