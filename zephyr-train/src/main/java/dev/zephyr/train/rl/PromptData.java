package dev.zephyr.train.rl;

import com.fasterxml.jackson.databind.JsonNode;
import dev.zephyr.core.InvalidInputException;
import dev.zephyr.core.chat.Message;
import dev.zephyr.core.chat.Role;
import dev.zephyr.core.io.Jsonl;
import dev.zephyr.core.tokenizer.ChatTokenizer;
import dev.zephyr.train.sft.SftData;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The prompts of an on-policy run, tokenised with the chat template and its generation prompt (TRL's PPO/RLOO
 * scripts apply the template to the prompt turns with {@code add_generation_prompt=True}). A JSONL row gives its
 * prompt as {@code prompt} (a string, one user turn, or a list of messages) or as {@code messages}, whose turns up to
 * and including the first user turn are the prompt (a dialogue's first query, as ALMoST's RLSF takes it).
 */
public final class PromptData {
  private PromptData() {}

  /** The prompts of {@code files}, in order; a row without a usable prompt fails naming its file and line. */
  public static List<int[]> load(List<Path> files, ChatTokenizer tokenizer) {
    List<int[]> out = new ArrayList<>();
    for (Path f : files) {
      List<JsonNode> rows = Jsonl.readAll(f);
      for (int i = 0; i < rows.size(); i++) {
        out.add(tokenizer.applyChatTemplate(prompt(rows.get(i), f.toString(), i + 1), true).inputIds());
      }
    }
    if (out.isEmpty()) {
      throw new InvalidInputException(String.valueOf(files), 0, "dataset_path", "no prompts");
    }
    return out;
  }

  /** The prompt turns of one row. */
  static List<Message> prompt(JsonNode row, String source, long line) {
    JsonNode p = row.get("prompt");
    if (p != null && p.isTextual()) {
      return List.of(Message.user(p.asText()));
    }
    if (p != null && p.isArray()) {
      return SftData.messages(p, source, line, "prompt");
    }
    JsonNode messages = row.get("messages");
    if (messages != null && messages.isArray()) {
      List<Message> all = SftData.messages(messages, source, line, "messages");
      for (int i = 0; i < all.size(); i++) {
        if (all.get(i).role() == Role.USER) {
          return all.subList(0, i + 1);
        }
      }
      throw new InvalidInputException(source, line, "messages", "no user turn to use as the prompt");
    }
    throw new InvalidInputException(source, line, "prompt", "expected 'prompt' (a string or messages) or"
        + " 'messages'");
  }
}
