package dev.zephyr.train.sft;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import dev.zephyr.core.InvalidInputException;
import dev.zephyr.core.chat.Message;
import dev.zephyr.core.chat.Role;
import dev.zephyr.core.io.Json;
import dev.zephyr.core.progress.Progress;
import dev.zephyr.core.tokenizer.ChatTokenizer;
import dev.zephyr.core.tokenizer.LossMode;
import dev.zephyr.core.tokenizer.PromptCompletion;
import dev.zephyr.core.tokenizer.TokenizedChat;
import dev.zephyr.train.data.DatasetMixture;
import dev.zephyr.train.data.MixtureReader;
import dev.zephyr.train.loop.CharBudget;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.function.IntPredicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns an SFT dataset into training rows the way TRL's SFTTrainer prepares one. Formats, by column:
 * <ul>
 *   <li>{@code messages}: a conversation, rendered with the chat template; loss on all tokens, assistant tokens only,
 *       or the last assistant turn only ({@link LossMode});</li>
 *   <li>{@code prompt} + {@code completion}: strings or message lists, tokenized jointly and split at the prompt;
 *       loss on the completion only unless the mode is {@link LossMode#ALL};</li>
 *   <li>{@code text}: plain text with the tokenizer's special tokens and EOS appended when missing; loss on all.</li>
 * </ul>
 * Rows longer than {@code max_length} keep their start; rows with no loss token left are dropped and counted. Before
 * tokenisation a row's text is cut to a character budget derived from {@code max_length} ({@link CharBudget}), so one
 * huge row cannot stall preparation; the cut rows are counted, and the tokens kept are those of the whole row.
 */
public final class SftData {
  private static final Logger LOG = LoggerFactory.getLogger(SftData.class);

  private SftData() {}

  /** Options: {@code max_length}, the loss mode and whether to pack. */
  public record Options(int maxLength, LossMode lossMode, boolean packing) {
    public Options {
      if (maxLength < 2) {
        throw InvalidInputException.field("SftConfig", "max_length", "must be >= 2, got " + maxLength);
      }
    }
  }

  /**
   * Prepared rows and what was done to get them.
   *
   * @param rows training rows (packed when packing is on)
   * @param examples rows read
   * @param truncated examples longer than {@code max_length}, cut to it (keep_start)
   * @param droppedFullyMasked examples with no loss token left, dropped
   * @param cutToBudget examples whose text exceeded the character budget and was cut before tokenisation
   */
  public record Prepared(List<SftSequence> rows, int examples, int truncated, int droppedFullyMasked,
      int cutToBudget) {}

  /** Reads and prepares a JSONL or Parquet file. */
  public static Prepared prepare(Path file, ChatTokenizer tok, Options options) {
    return prepare(file, tok, options, Progress.NONE);
  }

  /** Reads and prepares a JSONL or Parquet file as a stream, reporting rows as task {@code tokenize <file name>}. */
  public static Prepared prepare(Path file, ChatTokenizer tok, Options options, Progress progress) {
    return prepare(DatasetMixture.ofFiles(List.of(file)), tok, options, MixtureReader.Options.defaults(), progress);
  }

  /**
   * Reads a mixture as a stream (rows tokenised on a small worker pool, a window of rows in memory at a time) and
   * prepares its rows in mixture order.
   */
  public static Prepared prepare(DatasetMixture mixture, ChatTokenizer tok, Options options,
      MixtureReader.Options reading, Progress progress) {
    return finish(tokenize(mixture, tok, options, reading, progress), mixture.describe(), options);
  }

  /**
   * The mixture's examples tokenised, in mixture order, before truncation, dropping and packing: a hold-out can be cut
   * from these, then each part finished with {@link #finish}.
   */
  public static List<Bounded> tokenize(DatasetMixture mixture, ChatTokenizer tok, Options options,
      MixtureReader.Options reading, Progress progress) {
    return MixtureReader.read(mixture, (row, file, line) -> tokenizeBounded(row, file, line, tok, options), reading,
        progress, "tokenize " + mixture.shortName(), b -> b.sequence().length());
  }

  /** Prepares rows already read; {@code source} names them in errors. */
  public static Prepared prepare(List<JsonNode> rows, String source, ChatTokenizer tok, Options options) {
    return prepare(rows, i -> true, source, "tokenize " + source, tok, options, Progress.NONE);
  }

  /** Prepares rows already read, reporting them as task {@code tokenize <source>}. */
  public static Prepared prepare(List<JsonNode> rows, String source, ChatTokenizer tok, Options options,
      Progress progress) {
    return prepare(rows, i -> true, source, "tokenize " + source, tok, options, progress);
  }

  /**
   * Prepares the rows whose index {@code selected} accepts (one side of a held-out split), reporting them as task
   * {@code taskName}; errors name {@code source} and the row's line in it. No row selected gives no rows.
   */
  public static Prepared prepare(List<JsonNode> rows, IntPredicate selected, String source, String taskName,
      ChatTokenizer tok, Options options, Progress progress) {
    int[] picked = java.util.stream.IntStream.range(0, rows.size()).filter(selected).toArray();
    if (picked.length == 0) {
      return new Prepared(List.of(), 0, 0, 0, 0);
    }
    List<Bounded> tokenized = new ArrayList<>(picked.length);
    try (Progress.Task task = progress.start(taskName, "rows", picked.length, 0)) {
      for (int i : picked) {
        Bounded b = tokenizeBounded(rows.get(i), source, i + 1, tok, options);
        task.advance(1, b.sequence().length());
        tokenized.add(b);
      }
    }
    return finish(tokenized, source, options);
  }

  /** Truncates, drops fully masked examples and packs (when asked), counting each; {@code source} names the data. */
  public static Prepared finish(List<Bounded> tokenized, String source, Options options) {
    List<SftSequence> out = new ArrayList<>();
    int truncated = 0;
    int dropped = 0;
    int cut = 0;
    for (Bounded b : tokenized) {
      SftSequence s = b.sequence();
      cut += b.cut() ? 1 : 0;
      if (s.length() > options.maxLength()) {
        s = keepStart(s, options.maxLength());
        truncated++;
      }
      if (s.lossTokens() == 0) {
        dropped++;
        continue;
      }
      out.add(s);
    }
    if (dropped > 0) {
      LOG.warn("{}: dropped {} of {} examples with no loss token left (loss mode {}, max_length {})", source,
          dropped, tokenized.size(), options.lossMode(), options.maxLength());
    }
    if (truncated > 0) {
      LOG.info("{}: truncated {} examples to max_length {} (keep_start)", source, truncated, options.maxLength());
    }
    if (cut > 0) {
      LOG.info("{}: cut the text of {} examples longer than {} characters before tokenising (max_length {})",
          source, cut, CharBudget.charsFor(options.maxLength()), options.maxLength());
    }
    if (out.isEmpty()) {
      throw new InvalidInputException(source, 0, null, "no usable example: every example was fully masked");
    }
    List<SftSequence> rowsOut = options.packing() ? Packing.bestFitDecreasing(out, options.maxLength()) : out;
    LOG.info("{}: {} examples -> {} rows{}{}", source, out.size(), rowsOut.size(),
        options.packing() ? " (packed)" : "", cut > 0 ? ", " + cut + " cut to the character budget" : "");
    return new Prepared(rowsOut, tokenized.size(), truncated, dropped, cut);
  }

  /** A tokenized example (not yet truncated) and whether its text was cut to the character budget first. */
  public record Bounded(SftSequence sequence, boolean cut) {}

  /**
   * Tokenizes a row whose text is cut to the character budget of {@code max_length}, doubling the budget while a cut
   * row gives too few tokens to be sure the cut lies beyond the tokens that truncation keeps.
   */
  static Bounded tokenizeBounded(JsonNode row, String source, long line, ChatTokenizer tok, Options options) {
    for (CharBudget budget = CharBudget.forMaxLength(options.maxLength()); ; budget = budget.doubled()) {
      SftSequence s = tokenize(row, source, line, tok, options.lossMode(), budget);
      if (!budget.cut() || CharBudget.enoughTokens(s.length(), options.maxLength())) {
        return new Bounded(s, budget.cut());
      }
    }
  }

  static SftSequence tokenize(JsonNode row, String source, long line, ChatTokenizer tok, LossMode mode) {
    return tokenize(row, source, line, tok, mode, CharBudget.of(Long.MAX_VALUE));
  }

  private static SftSequence tokenize(JsonNode row, String source, long line, ChatTokenizer tok, LossMode mode,
      CharBudget budget) {
    if (row.has("messages")) {
      TokenizedChat chat = tok.applyChatTemplateMaps(
          budget.takeContents(maps(row.get("messages"), source, line, "messages")), false, Map.of());
      return SftSequence.of(chat.inputIds(), chat.lossMask(mode));
    }
    if (row.has("prompt") && row.has("completion")) {
      PromptCompletion pc;
      if (row.get("prompt").isTextual() && row.get("completion").isTextual()) {
        // a cut prompt leaves no budget, so the completion is empty and cannot merge with the prompt's last token
        String prompt = budget.take(row.get("prompt").asText());
        pc = tok.splitPromptCompletionText(prompt, budget.take(row.get("completion").asText()), true);
      } else {
        List<Message> prompt = budget.takeMessages(messages(row.get("prompt"), source, line, "prompt"));
        pc = tok.splitPromptCompletion(prompt,
            budget.takeMessages(messages(row.get("completion"), source, line, "completion")));
      }
      int[] mask = mode == LossMode.ALL ? ones(pc.inputIds().length) : pc.completionMask();
      return SftSequence.of(pc.inputIds(), mask);
    }
    if (row.has("text")) {
      if (!row.get("text").isTextual()) {
        throw new InvalidInputException(source, line, "text", "expected a string");
      }
      int[] ids = tok.encodeText(budget.take(row.get("text").asText()), true);
      OptionalInt eos = tok.tokenizer().eosTokenId();
      if (eos.isPresent() && (ids.length == 0 || ids[ids.length - 1] != eos.getAsInt())) {
        ids = java.util.Arrays.copyOf(ids, ids.length + 1);
        ids[ids.length - 1] = eos.getAsInt();
      }
      return SftSequence.of(ids, ones(ids.length));
    }
    throw new InvalidInputException(source, line, null,
        "expected a 'messages', 'prompt'+'completion' or 'text' column, found " + fieldNames(row));
  }

  static List<Map<String, Object>> maps(JsonNode node, String source, long line, String field) {
    if (!node.isArray() || node.isEmpty()) {
      throw new InvalidInputException(source, line, field, "expected a non-empty list of {role, content} messages");
    }
    for (JsonNode m : node) {
      if (!m.path("role").isTextual() || !m.has("content")) {
        throw new InvalidInputException(source, line, field, "every message needs 'role' and 'content'");
      }
    }
    return Json.mapper().convertValue(node, new TypeReference<List<Map<String, Object>>>() {});
  }

  public static List<Message> messages(JsonNode node, String source, long line, String field) {
    List<Message> out = new ArrayList<>();
    for (Map<String, Object> m : maps(node, source, line, field)) {
      out.add(new Message(Role.of(String.valueOf(m.get("role"))), String.valueOf(m.get("content"))));
    }
    return out;
  }

  static SftSequence keepStart(SftSequence s, int maxLength) {
    return SftSequence.of(java.util.Arrays.copyOf(s.inputIds(), maxLength),
        java.util.Arrays.copyOf(s.lossMask(), maxLength));
  }

  private static int[] ones(int n) {
    int[] a = new int[n];
    java.util.Arrays.fill(a, 1);
    return a;
  }

  private static List<String> fieldNames(JsonNode row) {
    List<String> names = new ArrayList<>();
    row.fieldNames().forEachRemaining(names::add);
    return names;
  }
}
