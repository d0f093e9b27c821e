package dev.zephyr.quickstart;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.zephyr.core.io.AtomicFiles;
import dev.zephyr.core.io.Json;
import dev.zephyr.core.tokenizer.ChatTemplate;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Trains a small byte-level BPE tokenizer on text of the quickstart world and saves it as a real Hugging Face
 * {@code tokenizer.json} (loadable by DJL's {@code HuggingFaceTokenizer} and by {@code transformers}) plus a
 * {@code tokenizer_config.json} carrying the Zephyr chat template.
 *
 * <p>Layout: ids 0-6 are {@code <unk> <s> </s> <pad> <|system|> <|user|> <|assistant|>}, ids 7-262 the 256 byte
 * symbols (so any text encodes, nothing maps to unknown), then one id per learned merge. Digits are always split into
 * single digits (as Llama does), which makes arithmetic learnable by a tiny model. An encoding starts with {@code <s>}.
 */
public final class WorldTokenizer {
  /** Special and chat-role tokens, in id order. */
  public static final List<String> SPECIAL_TOKENS =
      List.of("<unk>", "<s>", "</s>", "<pad>", "<|system|>", "<|user|>", "<|assistant|>");
  /** How many of {@link #SPECIAL_TOKENS} are special (skipped when decoding); the role markers are plain text. */
  private static final int SPECIAL_COUNT = 4;

  /** GPT-2's pre-tokenisation pattern, which the ByteLevel pre-tokenizer applies. */
  private static final Pattern BYTE_LEVEL_SPLIT = Pattern.compile(
      "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+");
  private static final Pattern DIGIT = Pattern.compile("\\p{N}");
  private static final char[] BYTE_TO_CHAR = byteToUnicode();

  private final Map<String, Integer> vocab;
  private final List<String[]> merges;

  private WorldTokenizer(Map<String, Integer> vocab, List<String[]> merges) {
    this.vocab = vocab;
    this.merges = merges;
  }

  /** Learns up to {@code mergeCount} merges from {@code texts}; deterministic for the same texts. */
  public static WorldTokenizer train(List<String> texts, int mergeCount) {
    Map<String, Integer> wordCounts = new HashMap<>();
    for (String text : texts) {
      for (String piece : preTokenize(stripSpecials(text))) {
        wordCounts.merge(piece, 1, Integer::sum);
      }
    }
    // Symbols of each distinct word, in a stable order.
    List<String> words = new ArrayList<>(wordCounts.keySet());
    Collections.sort(words);
    List<List<String>> symbols = new ArrayList<>();
    for (String w : words) {
      List<String> s = new ArrayList<>();
      for (char c : w.toCharArray()) {
        s.add(String.valueOf(c));
      }
      symbols.add(s);
    }
    Map<String, Integer> vocab = new LinkedHashMap<>();
    for (String t : SPECIAL_TOKENS) {
      vocab.put(t, vocab.size());
    }
    for (char c : BYTE_TO_CHAR) {
      vocab.put(String.valueOf(c), vocab.size());
    }
    List<String[]> merges = new ArrayList<>();
    while (merges.size() < mergeCount) {
      Map<String, Integer> pairCounts = new HashMap<>();
      for (int i = 0; i < words.size(); i++) {
        List<String> s = symbols.get(i);
        int freq = wordCounts.get(words.get(i));
        for (int j = 0; j + 1 < s.size(); j++) {
          pairCounts.merge(s.get(j) + " " + s.get(j + 1), freq, Integer::sum);
        }
      }
      String best = null;
      int bestCount = 1; // a pair seen once is not worth a token
      for (Map.Entry<String, Integer> e : pairCounts.entrySet()) {
        if (e.getValue() > bestCount || (e.getValue() == bestCount && best != null && e.getKey().compareTo(best) < 0)) {
          best = e.getKey();
          bestCount = e.getValue();
        }
      }
      if (best == null) {
        break;
      }
      String[] pair = best.split(" ");
      String merged = pair[0] + pair[1];
      merges.add(pair);
      vocab.putIfAbsent(merged, vocab.size());
      for (List<String> s : symbols) {
        for (int j = 0; j + 1 < s.size(); j++) {
          if (s.get(j).equals(pair[0]) && s.get(j + 1).equals(pair[1])) {
            s.set(j, merged);
            s.remove(j + 1);
          }
        }
      }
    }
    return new WorldTokenizer(vocab, merges);
  }

  /** Number of tokens (specials, byte symbols and merges). */
  public int vocabSize() {
    return vocab.size();
  }

  /** Id of a token, e.g. {@code tokenId("</s>") == 2}. */
  public int tokenId(String token) {
    Integer id = vocab.get(token);
    if (id == null) {
      throw new IllegalArgumentException("no token '" + token + "'");
    }
    return id;
  }

  /**
   * Writes {@code tokenizer.json}, {@code tokenizer_config.json} and {@code special_tokens_map.json} into
   * {@code dir}, each atomically.
   */
  public void save(Path dir, int modelMaxLength) {
    AtomicFiles.writeString(dir.resolve("tokenizer.json"), Json.mapper().valueToTree(tokenizerJson()).toPrettyString());
    AtomicFiles.writeString(dir.resolve("tokenizer_config.json"), tokenizerConfig(modelMaxLength).toPrettyString());
    ObjectNode map = JsonNodeFactory.instance.objectNode();
    map.put("bos_token", "<s>").put("eos_token", "</s>").put("unk_token", "<unk>").put("pad_token", "<pad>");
    AtomicFiles.writeString(dir.resolve("special_tokens_map.json"), map.toPrettyString());
  }

  private ObjectNode tokenizerJson() {
    JsonNodeFactory f = JsonNodeFactory.instance;
    ObjectNode root = f.objectNode();
    root.put("version", "1.0");
    root.putNull("truncation");
    root.putNull("padding");
    ArrayNode added = root.putArray("added_tokens");
    for (int i = 0; i < SPECIAL_TOKENS.size(); i++) {
      added.addObject().put("id", i).put("content", SPECIAL_TOKENS.get(i)).put("single_word", false)
          .put("lstrip", false).put("rstrip", false).put("normalized", false).put("special", i < SPECIAL_COUNT);
    }
    root.putNull("normalizer");
    ObjectNode pre = root.putObject("pre_tokenizer");
    pre.put("type", "Sequence");
    ArrayNode pres = pre.putArray("pretokenizers");
    pres.addObject().put("type", "Digits").put("individual_digits", true);
    pres.addObject().put("type", "ByteLevel").put("add_prefix_space", false).put("trim_offsets", true)
        .put("use_regex", true);
    ObjectNode post = root.putObject("post_processor");
    post.put("type", "TemplateProcessing");
    ArrayNode single = post.putArray("single");
    single.addObject().putObject("SpecialToken").put("id", "<s>").put("type_id", 0);
    single.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
    ArrayNode pair = post.putArray("pair");
    pair.addObject().putObject("SpecialToken").put("id", "<s>").put("type_id", 0);
    pair.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
    pair.addObject().putObject("SpecialToken").put("id", "<s>").put("type_id", 1);
    pair.addObject().putObject("Sequence").put("id", "B").put("type_id", 1);
    ObjectNode bos = post.putObject("special_tokens").putObject("<s>");
    bos.put("id", "<s>");
    bos.putArray("ids").add(1);
    bos.putArray("tokens").add("<s>");
    root.putObject("decoder").put("type", "ByteLevel").put("add_prefix_space", true).put("trim_offsets", true)
        .put("use_regex", true);
    ObjectNode model = root.putObject("model");
    model.put("type", "BPE");
    model.putNull("dropout");
    model.putNull("unk_token");
    model.putNull("continuing_subword_prefix");
    model.putNull("end_of_word_suffix");
    model.put("fuse_unk", false);
    model.put("byte_fallback", false);
    model.put("ignore_merges", false);
    ObjectNode v = model.putObject("vocab");
    vocab.forEach(v::put);
    ArrayNode m = model.putArray("merges");
    for (String[] p : merges) {
      m.add(p[0] + " " + p[1]);
    }
    return root;
  }

  private ObjectNode tokenizerConfig(int modelMaxLength) {
    ObjectNode c = JsonNodeFactory.instance.objectNode();
    c.put("add_bos_token", true);
    c.put("add_eos_token", false);
    ObjectNode decoder = c.putObject("added_tokens_decoder");
    for (int i = 0; i < SPECIAL_TOKENS.size(); i++) {
      decoder.putObject(String.valueOf(i)).put("content", SPECIAL_TOKENS.get(i)).put("lstrip", false)
          .put("normalized", false).put("rstrip", false).put("single_word", false).put("special", i < SPECIAL_COUNT);
    }
    c.put("bos_token", "<s>");
    c.put("eos_token", "</s>");
    c.put("unk_token", "<unk>");
    c.put("pad_token", "<pad>");
    c.put("chat_template", ChatTemplate.ZEPHYR_SOURCE); // the single copy, in zephyr-core
    c.put("clean_up_tokenization_spaces", false);
    c.put("model_max_length", modelMaxLength);
    c.put("padding_side", "left");
    c.put("truncation_side", "left");
    c.put("tokenizer_class", "PreTrainedTokenizerFast");
    return c;
  }

  /** The pieces the Hugging Face pre-tokenizers cut text into, each mapped to byte symbols. */
  static List<String> preTokenize(String text) {
    List<String> out = new ArrayList<>();
    int start = 0;
    Matcher d = DIGIT.matcher(text);
    List<String> pieces = new ArrayList<>();
    while (d.find()) {
      if (d.start() > start) {
        pieces.add(text.substring(start, d.start()));
      }
      pieces.add(d.group());
      start = d.end();
    }
    if (start < text.length()) {
      pieces.add(text.substring(start));
    }
    for (String piece : pieces) {
      Matcher m = BYTE_LEVEL_SPLIT.matcher(piece);
      while (m.find()) {
        StringBuilder sb = new StringBuilder();
        for (byte b : m.group().getBytes(StandardCharsets.UTF_8)) {
          sb.append(BYTE_TO_CHAR[b & 0xff]);
        }
        out.add(sb.toString());
      }
    }
    return out;
  }

  private static String stripSpecials(String text) {
    String s = text;
    for (String t : SPECIAL_TOKENS) {
      s = s.replace(t, " ");
    }
    return s;
  }

  /** GPT-2's reversible map from bytes to printable characters. */
  private static char[] byteToUnicode() {
    char[] map = new char[256];
    boolean[] printable = new boolean[256];
    for (int b = '!'; b <= '~'; b++) {
      printable[b] = true;
    }
    for (int b = 0xA1; b <= 0xAC; b++) {
      printable[b] = true;
    }
    for (int b = 0xAE; b <= 0xFF; b++) {
      printable[b] = true;
    }
    int next = 0;
    for (int b = 0; b < 256; b++) {
      map[b] = printable[b] ? (char) b : (char) (256 + next++);
    }
    return map;
  }
}
