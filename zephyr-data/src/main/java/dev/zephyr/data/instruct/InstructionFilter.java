package dev.zephyr.data.instruct;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Self-Instruct's post-processing of a generated list of instructions: split the numbered list, normalise each
 * item, and drop items that are too short or long, mention things a text model cannot handle, ask for a program, or
 * start oddly. Drop reasons are counted.
 */
public final class InstructionFilter {
  /** The 13 words and phrases of the original blacklist. */
  public static final List<String> SELF_INSTRUCT_BLACKLIST = List.of(
      "image", "images", "graph", "graphs", "picture", "pictures", "file", "files", "map", "maps", "draw", "plot",
      "go to");
  /** The Alpaca variant adds five more. */
  public static final List<String> ALPACA_EXTRA = List.of("video", "audio", "music", "flowchart", "diagram");

  private static final Pattern ITEM_SPLIT = Pattern.compile("(?:^|\\n)\\d+\\s?\\. ");
  private static final String PUNCTUATION = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";

  private final int minWordsExclusive;
  private final int maxWords;
  private final List<Pattern> blacklist;
  private final boolean lowercaseRest;
  private final Map<String, Integer> dropped = new TreeMap<>();

  /**
   * @param minWordsExclusive items with this many words or fewer are dropped (Self-Instruct: 3)
   * @param maxWords items with more words are dropped (Self-Instruct: 150)
   * @param blacklist whole words or phrases, matched case-insensitively at word boundaries
   * @param lowercaseRest mimic Python's {@code str.capitalize()}, which also lower-cases everything after the first
   *     character (what the original does); false only upper-cases the first character
   */
  public InstructionFilter(int minWordsExclusive, int maxWords, List<String> blacklist, boolean lowercaseRest) {
    this.minWordsExclusive = minWordsExclusive;
    this.maxWords = maxWords;
    this.lowercaseRest = lowercaseRest;
    this.blacklist = blacklist.stream()
        .map(w -> Pattern.compile("\\b(" + Pattern.quote(w) + ")\\b", Pattern.CASE_INSENSITIVE))
        .toList();
  }

  /** The original settings: more than 3 and at most 150 words, the 13-word blacklist, Python capitalisation. */
  public static InstructionFilter selfInstructDefaults() {
    return new InstructionFilter(3, 150, SELF_INSTRUCT_BLACKLIST, true);
  }

  /** Splits a model's numbered list into raw items (a leading number on the first item is removed too). */
  public static List<String> splitNumbered(String text) {
    List<String> items = new ArrayList<>();
    for (String part : ITEM_SPLIT.split(text, -1)) {
      items.add(part);
    }
    return items;
  }

  /** Whitespace collapse, strip, then capitalisation. */
  public String normalize(String raw) {
    String s = raw.replaceAll("\\s+", " ").strip();
    if (s.isEmpty()) {
      return s;
    }
    String rest = s.substring(1);
    return s.substring(0, 1).toUpperCase(Locale.ROOT) + (lowercaseRest ? rest.toLowerCase(Locale.ROOT) : rest);
  }

  /** Why the normalised item is dropped, or empty when it is kept. */
  public Optional<String> rejectReason(String inst) {
    if (inst.isEmpty()) {
      return Optional.of("empty");
    }
    int words = inst.split("\\s+").length;
    if (words <= minWordsExclusive) {
      return Optional.of("too_short");
    }
    if (words > maxWords) {
      return Optional.of("too_long");
    }
    for (Pattern p : blacklist) {
      if (p.matcher(inst).find()) {
        return Optional.of("blacklisted_word");
      }
    }
    if (inst.startsWith("Write a program")) {
      return Optional.of("write_a_program");
    }
    char first = inst.charAt(0);
    if (PUNCTUATION.indexOf(first) >= 0) {
      return Optional.of("starts_with_punctuation");
    }
    if (first > 127) {
      return Optional.of("starts_non_ascii");
    }
    return Optional.empty();
  }

  /** Splits, normalises and filters one response; dropped items are counted by reason. */
  public List<String> extract(String responseText) {
    List<String> kept = new ArrayList<>();
    for (String raw : splitNumbered(responseText)) {
      String inst = normalize(raw);
      if (inst.isEmpty()) {
        continue;
      }
      Optional<String> reason = rejectReason(inst);
      if (reason.isPresent()) {
        dropped.merge(reason.get(), 1, Integer::sum);
      } else {
        kept.add(inst);
      }
    }
    return kept;
  }

  /** Counts of dropped items by reason so far. */
  public Map<String, Integer> droppedCounts() {
    return Map.copyOf(dropped);
  }
}
