package dev.zephyr.train.reward;

import com.fasterxml.jackson.databind.JsonNode;
import dev.zephyr.core.InvalidInputException;
import dev.zephyr.core.chat.Message;
import dev.zephyr.core.chat.Role;
import dev.zephyr.core.io.Jsonl;
import dev.zephyr.core.progress.Progress;
import dev.zephyr.core.tokenizer.ChatTokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntPredicate;
import java.util.stream.IntStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tokenizes a comparison dataset as TRL's RewardTrainer does. A row holds {@code chosen} and {@code rejected}, either
 * whole conversations (the implicit-prompt layout of {@code ultrafeedback_binarized} and ALMoST's synthetic
 * comparisons) or completions after a {@code prompt} (a string or a list of messages); an optional numeric
 * {@code margin} column feeds the Bradley-Terry margin. Each side is rendered with the chat template and tokenized
 * whole. Like TRL, pairs with a side longer than {@code max_length} tokens are dropped, not truncated: a reward read
 * at a cut-off token would score text the model never saw end.
 */
public final class RewardData {
  private static final Logger LOG = LoggerFactory.getLogger(RewardData.class);

  private RewardData() {}

  /**
   * Tokenized pairs and what was dropped.
   *
   * @param pairs the pairs kept
   * @param rows rows read
   * @param dropped pairs with a side longer than {@code max_length}
   */
  public record Prepared(List<RewardTask.Pair> pairs, int rows, int dropped) {}

  /** Reads and tokenizes a JSONL comparison file, reporting rows as task {@code tokenize <file name>}. */
  public static Prepared prepare(Path jsonl, ChatTokenizer tok, int maxLength, Progress progress) {
    return prepare(Jsonl.readAll(jsonl), jsonl.toString(), tok, maxLength, progress);
  }

  /** Tokenizes rows already read; {@code source} names them in errors. */
  public static Prepared prepare(List<JsonNode> rows, String source, ChatTokenizer tok, int maxLength,
      Progress progress) {
    return prepare(rows, i -> true, source, "tokenize " + source, tok, maxLength, progress);
  }

  /**
   * Tokenizes the rows whose index {@code selected} accepts (one side of a held-out split), reporting them as task
   * {@code taskName}; errors name {@code source} and the row's line in it. No row selected gives no pairs; rows
   * selected but all dropped are an error.
   */
  public static Prepared prepare(List<JsonNode> rows, IntPredicate selected, String source, String taskName,
      ChatTokenizer tok, int maxLength, Progress progress) {
    int[] picked = IntStream.range(0, rows.size()).filter(selected).toArray();
    if (picked.length == 0) {
      return new Prepared(List.of(), 0, 0);
    }
    List<RewardTask.Pair> out = new ArrayList<>();
    int dropped = 0;
    try (Progress.Task task = progress.start(taskName, "rows", picked.length, 0)) {
      for (int i : picked) {
        JsonNode row = rows.get(i);
        long line = i + 1;
        int[] chosen = tok.applyChatTemplate(side(row, "chosen", source, line), false).inputIds();
        int[] rejected = tok.applyChatTemplate(side(row, "rejected", source, line), false).inputIds();
        task.advance(1);
        if (chosen.length > maxLength || rejected.length > maxLength) {
          dropped++;
          continue;
        }
        out.add(new RewardTask.Pair(chosen, rejected, margin(row, source, line)));
      }
    }
    if (dropped > 0) {
      LOG.warn("{}: dropped {} of {} pairs with a side longer than max_length {} tokens", source, dropped,
          picked.length, maxLength);
    }
    if (out.isEmpty()) {
      throw new InvalidInputException(source, 0, null, "no usable comparison (rows need 'chosen' and 'rejected',"
          + " each at most max_length " + maxLength + " tokens)");
    }
    return new Prepared(out, picked.length, dropped);
  }

  /** The whole conversation of one side: the prompt turns (unless the side repeats them), then the completion. */
  static List<Message> side(JsonNode row, String field, String source, long line) {
    JsonNode n = row.get(field);
    if (n == null || n.isNull()) {
      throw new InvalidInputException(source, line, field, "missing; a comparison row needs 'chosen' and 'rejected'");
    }
    JsonNode promptNode = row.get("prompt");
    List<Message> prompt = promptNode == null || promptNode.isNull() ? List.of()
        : promptNode.isTextual() ? List.of(Message.user(promptNode.asText()))
        : messages(promptNode, source, line, "prompt");
    List<Message> completion = n.isTextual() ? List.of(Message.assistant(n.asText()))
        : messages(n, source, line, field);
    if (prompt.isEmpty()) {
      if (n.isTextual()) {
        throw new InvalidInputException(source, line, "prompt", "a string '" + field + "' needs a 'prompt'");
      }
      return completion;
    }
    boolean repeatsPrompt = completion.size() > prompt.size() && completion.subList(0, prompt.size()).equals(prompt);
    if (repeatsPrompt) {
      return completion;
    }
    List<Message> whole = new ArrayList<>(prompt);
    whole.addAll(completion);
    return whole;
  }

  private static double margin(JsonNode row, String source, long line) {
    JsonNode m = row.get("margin");
    if (m == null || m.isNull()) {
      return 0;
    }
    if (!m.isNumber()) {
      throw new InvalidInputException(source, line, "margin", "expected a number, found " + m);
    }
    return m.asDouble();
  }

  private static List<Message> messages(JsonNode node, String source, long line, String field) {
    if (!node.isArray() || node.isEmpty()) {
      throw new InvalidInputException(source, line, field, "expected a string or a non-empty list of messages");
    }
    List<Message> out = new ArrayList<>();
    for (JsonNode m : node) {
      if (!m.path("role").isTextual() || !m.path("content").isTextual()) {
        throw new InvalidInputException(source, line, field, "every message needs string 'role' and 'content'");
      }
      out.add(new Message(Role.of(m.get("role").asText()), m.get("content").asText()));
    }
    return out;
  }
}
