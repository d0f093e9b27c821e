package dev.zephyr.train.dpo;

import com.fasterxml.jackson.databind.JsonNode;
import dev.zephyr.core.InvalidInputException;
import dev.zephyr.core.chat.Message;
import dev.zephyr.core.chat.Role;
import dev.zephyr.core.progress.Progress;
import dev.zephyr.core.tokenizer.ChatTokenizer;
import dev.zephyr.core.tokenizer.PromptCompletion;
import dev.zephyr.train.data.DatasetMixture;
import dev.zephyr.train.data.MixtureReader;
import dev.zephyr.train.loop.CharBudget;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntPredicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tokenizes a preference dataset as TRL's DPOTrainer does. Rows hold {@code prompt}/{@code chosen}/{@code rejected}
 * as strings or message lists; without {@code prompt} (the {@code ultrafeedback_binarized} layout, where chosen and
 * rejected are whole conversations) the prompt is their longest common prefix of turns. Prompt and completion are
 * tokenized jointly and split at the prompt (no boundary merges); prompt + completion is cut to {@code max_length}
 * keeping the start, and pairs whose prompt alone fills {@code max_length} are dropped and counted. Before tokenisation
 * the prompt and each completion are cut to a character budget derived from {@code max_length} ({@link CharBudget}),
 * so one huge row cannot stall preparation; the cut pairs are counted, and the tokens kept are those of the whole row.
 */
public final class DpoData {
  private static final Logger LOG = LoggerFactory.getLogger(DpoData.class);

  private DpoData() {}

  /**
   * Tokenized pairs and what was done to get them.
   *
   * @param pairs the pairs, each cut to {@code max_length}
   * @param rows rows read
   * @param dropped pairs whose prompt alone has {@code max_length} tokens or more
   * @param cutToBudget rows whose text exceeded the character budget and was cut before tokenisation
   */
  public record Prepared(List<DpoExample> pairs, int rows, int dropped, int cutToBudget) {}

  /** Reads and tokenizes a JSONL or Parquet preference file. */
  public static List<DpoExample> prepare(Path file, ChatTokenizer tok, int maxLength) {
    return prepare(file, tok, maxLength, Progress.NONE);
  }

  /** Reads and tokenizes a preference file as a stream, reporting rows as task {@code tokenize <file name>}. */
  public static List<DpoExample> prepare(Path file, ChatTokenizer tok, int maxLength, Progress progress) {
    return prepare(DatasetMixture.ofFiles(List.of(file)), tok, maxLength, MixtureReader.Options.defaults(), progress)
        .pairs();
  }

  /**
   * Reads a mixture as a stream (rows tokenised on a small worker pool, a window of rows in memory at a time) and
   * tokenizes its pairs in mixture order.
   */
  public static Prepared prepare(DatasetMixture mixture, ChatTokenizer tok, int maxLength,
      MixtureReader.Options reading, Progress progress) {
    return finish(tokenize(mixture, tok, maxLength, reading, progress), mixture.describe(), maxLength);
  }

  /** The mixture's pairs tokenised, in mixture order, before dropping: a hold-out can be cut from these. */
  public static List<Bounded> tokenize(DatasetMixture mixture, ChatTokenizer tok, int maxLength,
      MixtureReader.Options reading, Progress progress) {
    return MixtureReader.read(mixture, (row, file, line) -> tokenizeBounded(row, file, line, tok, maxLength),
        reading, progress, "tokenize " + mixture.shortName(), b -> 0);
  }

  /** Tokenizes rows already read; {@code source} names them in errors. */
  public static List<DpoExample> prepare(List<JsonNode> rows, String source, ChatTokenizer tok, int maxLength) {
    return prepareCounted(rows, source, tok, maxLength).pairs();
  }

  /** Tokenizes rows already read, with the counts of dropped and cut rows. */
  public static Prepared prepareCounted(List<JsonNode> rows, String source, ChatTokenizer tok, int maxLength) {
    List<Bounded> tokenized = new ArrayList<>(rows.size());
    for (int i = 0; i < rows.size(); i++) {
      tokenized.add(tokenizeBounded(rows.get(i), source, i + 1, tok, maxLength));
    }
    return finish(tokenized, source, maxLength);
  }

  /**
   * Tokenizes the rows whose index {@code selected} accepts (one side of a held-out split), reporting them as task
   * {@code taskName}; errors name {@code source} and the row's line in it. No row selected gives no pairs.
   */
  public static Prepared prepare(List<JsonNode> rows, IntPredicate selected, String source, String taskName,
      ChatTokenizer tok, int maxLength, Progress progress) {
    int[] picked = java.util.stream.IntStream.range(0, rows.size()).filter(selected).toArray();
    if (picked.length == 0) {
      return new Prepared(List.of(), 0, 0, 0);
    }
    List<Bounded> tokenized = new ArrayList<>(picked.length);
    try (Progress.Task task = progress.start(taskName, "rows", picked.length, 0)) {
      for (int i : picked) {
        tokenized.add(tokenizeBounded(rows.get(i), source, i + 1, tok, maxLength));
        task.advance(1);
      }
    }
    return finish(tokenized, source, maxLength);
  }

  /** Drops the pairs whose prompt fills {@code max_length}, counting them; {@code source} names the data. */
  public static Prepared finish(List<Bounded> tokenized, String source, int maxLength) {
    List<DpoExample> out = new ArrayList<>();
    int dropped = 0;
    int cut = 0;
    for (Bounded b : tokenized) {
      cut += b.cut() ? 1 : 0;
      if (b.pair() == null) {
        dropped++;
      } else {
        out.add(b.pair());
      }
    }
    if (dropped > 0) {
      LOG.warn("{}: dropped {} of {} pairs whose prompt alone has max_length {} tokens or more", source, dropped,
          tokenized.size(), maxLength);
    }
    if (cut > 0) {
      LOG.info("{}: cut the text of {} pairs longer than {} characters before tokenising (max_length {})", source,
          cut, CharBudget.charsFor(maxLength), maxLength);
    }
    if (out.isEmpty()) {
      throw new InvalidInputException(source, 0, null, "no usable preference pair");
    }
    LOG.info("{}: {} of {} pairs kept{}", source, out.size(), tokenized.size(),
        cut > 0 ? ", " + cut + " cut to the character budget" : "");
    return new Prepared(out, tokenized.size(), dropped, cut);
  }

  /** A pair cut to {@code max_length} (null: dropped) and whether its text was cut to the character budget first. */
  public record Bounded(DpoExample pair, boolean cut) {}

  /**
   * Tokenizes a row whose prompt and completions are cut to the character budget of {@code max_length}, doubling the
   * budget while a cut row gives too few tokens to be sure the cut lies beyond the tokens that truncation keeps.
   */
  private static Bounded tokenizeBounded(JsonNode row, String source, long line, ChatTokenizer tok, int maxLength) {
    Parts whole = parts(row, source, line);
    for (CharBudget budget = CharBudget.forMaxLength(maxLength); ; budget = budget.doubled()) {
      Parts cut = whole.cut(budget);
      if (!cut.wasCut()) {
        return new Bounded(tokenize(whole, tok).truncated(maxLength), false);
      }
      if (cut.promptFillsBudget()) {
        // the pair is dropped if its prompt alone, cut, still has max_length tokens; the completions do not matter
        PromptCompletion c = cut.split(tok, true);
        if (CharBudget.enoughTokens(c.promptIds().length, maxLength)) {
          return new Bounded(null, true);
        }
        continue;
      }
      PromptCompletion c = cut.split(tok, true);
      PromptCompletion r = cut.split(tok, false);
      if ((!cut.chosenCut() || CharBudget.enoughTokens(c.promptIds().length + c.completionIds().length, maxLength))
          && (!cut.rejectedCut()
              || CharBudget.enoughTokens(r.promptIds().length + r.completionIds().length, maxLength))) {
        return new Bounded(DpoExample.of(c.promptIds(), c.completionIds(), r.completionIds()).truncated(maxLength),
            true);
      }
    }
  }

  static DpoExample tokenize(JsonNode row, String source, long line, ChatTokenizer tok) {
    return tokenize(parts(row, source, line), tok);
  }

  private static DpoExample tokenize(Parts p, ChatTokenizer tok) {
    PromptCompletion c = p.split(tok, true);
    PromptCompletion r = p.split(tok, false);
    return DpoExample.of(c.promptIds(), c.completionIds(), r.completionIds());
  }

  /**
   * A row's prompt and completions before tokenisation: strings, or message lists with the prompt split off.
   *
   * @param promptFillsBudget the prompt used the whole character budget (completions left empty or minimal)
   * @param chosenCut the chosen completion (or the prompt before it) was cut
   * @param rejectedCut the same for the rejected completion
   */
  private record Parts(String promptText, String chosenText, String rejectedText, List<Message> prompt,
      List<Message> chosen, List<Message> rejected, boolean promptFillsBudget, boolean chosenCut,
      boolean rejectedCut) {

    static Parts text(String prompt, String chosen, String rejected) {
      return new Parts(prompt, chosen, rejected, null, null, null, false, false, false);
    }

    static Parts messages(List<Message> prompt, List<Message> chosen, List<Message> rejected) {
      return new Parts(null, null, null, prompt, chosen, rejected, false, false, false);
    }

    boolean wasCut() {
      return chosenCut || rejectedCut;
    }

    /** The prompt and then each completion taken from {@code budget}; the completions share what the prompt left. */
    Parts cut(CharBudget budget) {
      boolean text = promptText != null;
      String pt = text ? budget.take(promptText) : null;
      List<Message> pm = text ? null : budget.takeMessages(prompt);
      // after a prompt that fills the budget a string completion is empty, so it cannot merge with the prompt's end
      CharBudget forChosen = budget.remainder();
      CharBudget forRejected = budget.remainder();
      String ct = text ? forChosen.take(chosenText) : null;
      String rt = text ? forRejected.take(rejectedText) : null;
      List<Message> cm = text ? null : forChosen.takeMessages(chosen);
      List<Message> rm = text ? null : forRejected.takeMessages(rejected);
      return new Parts(pt, ct, rt, pm, cm, rm, budget.cut() || budget.left() == 0, budget.cut() || forChosen.cut(),
          budget.cut() || forRejected.cut());
    }

    /** Prompt + chosen (or rejected) tokenized jointly and split at the prompt, as TRL does. */
    PromptCompletion split(ChatTokenizer tok, boolean ofChosen) {
      if (promptText != null) {
        return tok.splitPromptCompletionText(promptText, ofChosen ? chosenText : rejectedText, true);
      }
      return tok.splitPromptCompletion(prompt, ofChosen ? chosen : rejected);
    }
  }

  private static Parts parts(JsonNode row, String source, long line) {
    JsonNode chosen = require(row, "chosen", source, line);
    JsonNode rejected = require(row, "rejected", source, line);
    JsonNode prompt = row.get("prompt");
    if (chosen.isTextual() && rejected.isTextual()) {
      if (prompt == null || !prompt.isTextual()) {
        throw new InvalidInputException(source, line, "prompt", "string pairs need a string 'prompt'");
      }
      return Parts.text(prompt.asText(), chosen.asText(), rejected.asText());
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
    return Parts.messages(p, c, r);
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
