package dev.zephyr.data.testing;

import dev.zephyr.core.chat.ChatModel;
import dev.zephyr.core.chat.ChatRequest;
import dev.zephyr.core.chat.ChatResponse;
import dev.zephyr.core.chat.Completion;
import dev.zephyr.core.chat.FinishReason;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.Function;

/** A deterministic fake model: a function of the request gives the text; every request is recorded. */
public final class FunctionChatModel implements ChatModel {
  private final String name;
  private final Function<ChatRequest, Completion> answer;
  public final List<ChatRequest> requests = Collections.synchronizedList(new ArrayList<>());

  private FunctionChatModel(String name, Function<ChatRequest, Completion> answer) {
    this.name = name;
    this.answer = answer;
  }

  public static FunctionChatModel text(String name, Function<ChatRequest, String> f) {
    return new FunctionChatModel(name, r -> new Completion(f.apply(r), FinishReason.STOP, 1));
  }

  public static FunctionChatModel completion(String name, Function<ChatRequest, Completion> f) {
    return new FunctionChatModel(name, f);
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public List<ChatResponse> complete(List<ChatRequest> reqs) {
    List<ChatResponse> out = new ArrayList<>();
    for (ChatRequest r : reqs) {
      requests.add(r);
      out.add(new ChatResponse(name, List.of(answer.apply(r)), 0));
    }
    return out;
  }

  /** Text of the last message of a request. */
  public static String lastText(ChatRequest r) {
    return r.messages().get(r.messages().size() - 1).content();
  }
}
