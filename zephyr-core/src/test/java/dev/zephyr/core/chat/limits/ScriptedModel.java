package dev.zephyr.core.chat.limits;

import dev.zephyr.core.chat.ChatModel;
import dev.zephyr.core.chat.ChatRequest;
import dev.zephyr.core.chat.ChatResponse;
import dev.zephyr.core.chat.Completion;
import dev.zephyr.core.chat.FinishReason;
import dev.zephyr.core.chat.ProviderException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiFunction;

/**
 * A model whose answer to each call is scripted by (prompt, attempt): a failure to throw, or null to answer
 * "echo: PROMPT". Counts the calls per prompt.
 */
final class ScriptedModel implements ChatModel {
  final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
  private final BiFunction<String, Integer, ProviderException> script;

  ScriptedModel(BiFunction<String, Integer, ProviderException> script) {
    this.script = script;
  }

  /** Fails the first {@code n} calls of every prompt with a retryable 503 asking for {@code retryAfterMs}. */
  static ScriptedModel failingFirst(int n, long retryAfterMs) {
    return new ScriptedModel((p, attempt) -> attempt < n
        ? new ProviderException("fake", 503, true, "overloaded", null, retryAfterMs) : null);
  }

  int calls(String prompt) {
    return calls.getOrDefault(prompt, new AtomicInteger()).get();
  }

  @Override
  public String name() {
    return "fake";
  }

  @Override
  public List<ChatResponse> complete(List<ChatRequest> requests) {
    List<ChatResponse> out = new ArrayList<>();
    for (ChatRequest r : requests) {
      String prompt = r.messages().get(r.messages().size() - 1).content();
      int attempt = calls.computeIfAbsent(prompt, k -> new AtomicInteger()).getAndIncrement();
      ProviderException failure = script.apply(prompt, attempt);
      if (failure != null) {
        throw failure;
      }
      out.add(answer("echo: " + prompt));
    }
    return out;
  }

  /** Each request on its own, as a concurrent client answers them: one failure does not touch the others. */
  @Override
  public void completeEach(List<ChatRequest> requests, ResultHandler handler) {
    for (int i = 0; i < requests.size(); i++) {
      try {
        handler.onResult(i, complete(requests.get(i)), null);
      } catch (ProviderException e) {
        handler.onResult(i, null, e);
      }
    }
  }

  static ChatResponse answer(String text) {
    return new ChatResponse("fake", List.of(new Completion(text, FinishReason.STOP, 1, null)), 1);
  }
}
