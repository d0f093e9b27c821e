package dev.zephyr.train.dpo;

import com.fasterxml.jackson.databind.JsonNode;
import dev.zephyr.core.InvalidInputException;
import dev.zephyr.core.chat.Message;
import dev.zephyr.core.chat.Role;
import dev.zephyr.core.io.Jsonl;
import dev.zephyr.core.progress.Progress;
import dev.zephyr.core.tokenizer.ChatTokenizer;
import dev.zephyr.core.tokenizer.PromptCompletion;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tokenizes a preference dataset as TRL's DPOTrainer does. Rows hold {@code prompt}/{@code chosen}/{@code rejected}
 * as strings or message lists; without {@code prompt} (the {@code ultrafeedback_binarized} layout, where chosen and
 * rejected are whole conversations) the prompt is their longest common prefix of turns. Prompt and completion are
 * tokenized jointly and split at the prompt (no boundary merges); prompt + completion is cut to {@code max_length}
 * keeping the start, and pairs whose prompt alone fills {@code max_length} are dropped and counted.
 */
public final class DpoData {
  private static final Logger LOG = LoggerFactory.getLogger(DpoData.class);

  private DpoData() {}

  /** Reads and tokenizes a JSONL preference file. */
  public static List<DpoExample> prepare(Path jsonl, ChatTokenizer tok, int maxLength) {
    return prepare(jsonl, tok, maxLength, Progress.NONE);
  }

  /** Reads and tokenizes a JSONL preference file, reporting rows as task {@code tokenize <file name>}. */
  public static List<DpoExample> prepare(Path jsonl, ChatTokenizer tok, int maxLength, Progress progress) {
    return prepare(Jsonl.readAll(jsonl), jsonl.toString(), "tokenize " + jsonl.getFileName(), tok, maxLength,
        progress);
  }

  /** Tokenizes rows already read; {@code source} names them in errors. */
  public static List<DpoExample> prepare(List<JsonNode> rows, String source, ChatTokenizer tok, int maxLength) {
    return prepare(rows, source, "tokenize " + source, tok, maxLength, Progress.NONE);
  }

  private static List<DpoExample> prepare(List<JsonNode> rows, String source, String taskName, ChatTokenizer tok,
      int maxLength, Progress progress) {
    List<DpoExample> out = new ArrayList<>();
    int dropped = 0;
    try (Progress.Task task = progress.start(taskName, "rows", rows.size(), 0)) {
      for (int i = 0; i < rows.size(); i++) {
        DpoExample e = tokenize(rows.get(i), source, i + 1, tok).truncated(maxLength);
        task.advance(1);
        if (e == null) {
          dropped++;
        } else {
          out.add(e);
        }
      }
    }
    if (dropped > 0) {
      LOG.warn("{}: dropped {} of {} pairs whose prompt alone has max_length {} tokens or more", source, dropped,
          rows.size(), maxLength);
    }
    if (out.isEmpty()) {
      throw new InvalidInputException(source, 0, null, "no usable preference pair");
    }
    return out;
  }

  static DpoExample tokenize(JsonNode row, String source, long line, ChatTokenizer tok) {
    JsonNode chosen = require(row, "chosen", source, line);
    JsonNode rejected = require(row, "rejected", source, line);
    JsonNode prompt = row.get("prompt");
    if (chosen.isTextual() && rejected.isTextual()) {
      if (prompt == null || !prompt.isTextual()) {
        throw new InvalidInputException(source, line, "prompt", "string pairs need a string 'prompt'");
      }
      PromptCompletion c = tok.splitPromptCompletionText(prompt.asText(), chosen.asText(), true);
      PromptCompletion r = tok.splitPromptCompletionText(prompt.asText(), rejected.asText(), true);
      return DpoExample.of(c.promptIds(), c.completionIds(), r.completionIds());
    }
    List<Message> c = messages(chosen, source, line, "chosen");
    List<Message> r = messages(rejected, source, line, "rejected");
    List<Message> p;
    if (prompt == null || prompt.isNull()) {
      int k = 0;
      while (k < c.size() && k < r.size() && c.get(k).equals(r.get(k))) {
        k++;
      }
      if (k == 0) {
        throw new InvalidInputException(source, line, "prompt",
            "no 'prompt' column and chosen/rejected share no leading turn");
      }
      p = c.subList(0, k);
      c = c.subList(k, c.size());
      r = r.subList(k, r.size());
    } else {
      p = prompt.isTextual() ? List.of(Message.user(prompt.asText())) : messages(prompt, source, line, "prompt");
      // ultrafeedback_binarized repeats the prompt turn at the start of chosen and rejected: keep only the completion
      c = withoutPrefix(c, p);
      r = withoutPrefix(r, p);
    }
    if (c.isEmpty() || r.isEmpty()) {
      throw new InvalidInputException(source, line, "chosen", "chosen and rejected need a completion turn");
    }
    PromptCompletion cc = tok.splitPromptCompletion(p, c);
    PromptCompletion rc = tok.splitPromptCompletion(p, r);
    return DpoExample.of(cc.promptIds(), cc.completionIds(), rc.completionIds());
  }

  private static List<Message> withoutPrefix(List<Message> turns, List<Message> prefix) {
    return turns.size() > prefix.size() && turns.subList(0, prefix.size()).equals(prefix)
        ? turns.subList(prefix.size(), turns.size()) : turns;
  }

  private static JsonNode require(JsonNode row, String field, String source, long line) {
    JsonNode n = row.get(field);
    if (n == null || n.isNull()) {
      throw new InvalidInputException(source, line, field, "missing; a preference row needs 'chosen' and 'rejected'");
    }
    return n;
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
