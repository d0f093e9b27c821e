package dev.zephyr.quickstart;

import dev.zephyr.core.chat.ChatModel;
import dev.zephyr.core.chat.ChatRequest;
import dev.zephyr.core.chat.ChatResponse;
import dev.zephyr.core.chat.Completion;
import dev.zephyr.core.chat.FinishReason;
import dev.zephyr.core.chat.Message;
import dev.zephyr.core.chat.Role;
import java.util.ArrayList;
import java.util.List;

/**
 * Shared plumbing of the quickstart's rule-based models: they answer the last user message, return {@code n} choices,
 * and count "tokens" as whitespace-separated words (they have no tokenizer). Pure functions of their input and seed.
 */
abstract class RuleBasedChatModel implements ChatModel {
  private final String name;

  RuleBasedChatModel(String name) {
    this.name = name;
  }

  @Override
  public String name() {
    return name;
  }

  /** The text of choice {@code choice} for {@code request}. */
  abstract String reply(ChatRequest request, String lastUserMessage, int choice);

  @Override
  public List<ChatResponse> complete(List<ChatRequest> requests) {
    List<ChatResponse> out = new ArrayList<>(requests.size());
    for (ChatRequest req : requests) {
      String user = lastUser(req.messages());
      List<Completion> choices = new ArrayList<>();
      for (int i = 0; i < req.params().n(); i++) {
        String text = reply(req, user, i);
        int words = words(text);
        boolean truncated = words > req.params().maxTokens();
        if (truncated) {
          text = String.join(" ", List.of(text.split("\\s+")).subList(0, req.params().maxTokens()));
        }
        choices.add(new Completion(text, truncated ? FinishReason.LENGTH : FinishReason.STOP,
            Math.min(words, req.params().maxTokens())));
      }
      int promptWords = req.messages().stream().mapToInt(m -> words(m.content())).sum();
      out.add(new ChatResponse(name, choices, promptWords));
    }
    return out;
  }

  static String lastUser(List<Message> messages) {
    for (int i = messages.size() - 1; i >= 0; i--) {
      if (messages.get(i).role() == Role.USER) {
        return messages.get(i).content();
      }
    }
    return "";
  }

  static int words(String text) {
    String s = text.strip();
    return s.isEmpty() ? 0 : s.split("\\s+").length;
  }
}
