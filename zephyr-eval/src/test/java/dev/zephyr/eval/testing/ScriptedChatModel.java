package dev.zephyr.eval.testing;

import dev.zephyr.core.chat.ChatModel;
import dev.zephyr.core.chat.ChatRequest;
import dev.zephyr.core.chat.ChatResponse;
import dev.zephyr.core.chat.Completion;
import dev.zephyr.core.chat.FinishReason;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/** A deterministic fake: answers each request with {@code script.apply(request)} and records every request. */
public final class ScriptedChatModel implements ChatModel {
  private final String name;
  private final Function<ChatRequest, Completion> script;
  public final List<ChatRequest> seen = new ArrayList<>();
  public int calls;

  public ScriptedChatModel(String name, Function<ChatRequest, Completion> script) {
    this.name = name;
    this.script = script;
  }

  /** Replies with fixed text. */
  public static ScriptedChatModel text(String name, Function<ChatRequest, String> text) {
    return new ScriptedChatModel(name, r -> new Completion(text.apply(r), FinishReason.STOP, 1));
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public synchronized List<ChatResponse> complete(List<ChatRequest> requests) {
    calls++;
    List<ChatResponse> out = new ArrayList<>();
    for (ChatRequest r : requests) {
      seen.add(r);
      out.add(new ChatResponse(name, List.of(script.apply(r)), 0));
    }
    return out;
  }
}
