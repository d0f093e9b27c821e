package dev.zephyr.core.chat.limits;

import dev.zephyr.core.chat.ChatModel;
import dev.zephyr.core.chat.ChatRequest;
import dev.zephyr.core.chat.ChatResponse;
import java.util.List;
import java.util.Objects;

/** A {@link ChatModel} that adds one behaviour around another: same name, same cache key, closes what it wraps. */
abstract class DelegatingChatModel implements ChatModel {
  protected final ChatModel delegate;

  DelegatingChatModel(ChatModel delegate) {
    this.delegate = Objects.requireNonNull(delegate, "delegate");
  }

  @Override
  public String name() {
    return delegate.name();
  }

  @Override
  public String cacheKeyModel() {
    return delegate.cacheKeyModel();
  }

  @Override
  public List<ChatResponse> complete(List<ChatRequest> requests) {
    return ChatModel.completeViaEach(this, requests);
  }

  @Override
  public void close() {
    delegate.close();
  }
}
