package dev.zephyr.core.tokenizer;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import static ai.djl.huggingface.tokenizers.jni.TokenizersLibrary.LIB;

import ai.djl.huggingface.tokenizers.jni.CharSpan;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.zephyr.core.InvalidInputException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * A Hugging Face fast tokenizer ({@code tokenizer.json}) with its {@code tokenizer_config.json}, over DJL's
 * {@link HuggingFaceTokenizer}. Truncation and padding are always off (DJL's defaults silently cut at 512 tokens and
 * pad with id 0); whether the post-processor adds BOS/EOS is an explicit argument of every encode call.
 *
 * <p>To tokenize a rendered chat template the way {@code apply_chat_template(tokenize=True)} does, encode with
 * {@code addSpecialTokens=false}: templates already write {@code bos_token} themselves.
 *
 * <p>Thread-safe for encoding and decoding (the native tokenizer is immutable); close it once.
 */
public final class Tokenizer implements AutoCloseable {
  private final Path dir;
  private final HuggingFaceTokenizer hf;
  private final TokenizerConfig config;
  private final Map<String, Integer> tokenToId;
  private final String[] idToToken;

  private Tokenizer(Path dir, HuggingFaceTokenizer hf, TokenizerConfig config, Map<String, Integer> vocab) {
    this.dir = dir;
    this.hf = hf;
    this.config = config;
    this.tokenToId = vocab;
    int size = vocab.values().stream().mapToInt(Integer::intValue).max().orElse(-1) + 1;
    this.idToToken = new String[size];
    vocab.forEach((t, id) -> idToToken[id] = t);
  }

  /**
   * Loads {@code dir/tokenizer.json} and {@code dir/tokenizer_config.json} (optional). Nothing is downloaded.
   *
   * @throws InvalidInputException when the directory has no readable tokenizer.json
   */
  public static Tokenizer load(Path dir) {
    Path json = dir.resolve("tokenizer.json");
    if (!Files.isRegularFile(json)) {
      throw new InvalidInputException(json.toString(), 0, null,
          "no tokenizer.json (only Hugging Face fast tokenizers are supported)");
    }
    TokenizerConfig config = TokenizerConfig.load(dir);
    Map<String, Integer> vocab = readVocab(json);
    // tokenizer_config.json is deliberately not given to DJL: its Gson parser fails on model_max_length=1e30 and on
    // AddedToken objects. We read it with Jackson above.
    Map<String, String> options = Map.of(
        "truncation", "false",
        "padding", "false",
        "addSpecialTokens", "false",
        "withOverflowingTokens", "false");
    try (InputStream in = Files.newInputStream(json)) {
      return new Tokenizer(dir, HuggingFaceTokenizer.newInstance(in, options), config, vocab);
    } catch (IOException | RuntimeException e) {
      throw new InvalidInputException(json.toString(), 0, null, "cannot load tokenizer: " + e.getMessage(), e);
    }
  }

  /** The directory this tokenizer was loaded from. */
  public Path dir() {
    return dir;
  }

  /** The parsed {@code tokenizer_config.json}. */
  public TokenizerConfig config() {
    return config;
  }

  /** Token ids of {@code text}; {@code addSpecialTokens} runs the post-processor (BOS for Llama-style tokenizers). */
  public int[] encode(String text, boolean addSpecialTokens) {
    // Straight to the native library for ids only: HuggingFaceTokenizer.encode also copies tokens, word ids, masks
    // and char spans into Java objects, which costs more than the encoding itself for short texts.
    long encoding = LIB.encode(hf.getHandle(), text, addSpecialTokens);
    try {
      return toInts(LIB.getTokenIds(encoding));
    } finally {
      LIB.deleteEncoding(encoding);
    }
  }

  /**
   * Token ids and their spans in {@code text} as Java (UTF-16) indices. DJL reports Unicode code-point offsets; they are
   * converted here. Tokens added by the post-processor have span {@code [-1, -1)}.
   */
  public Encoded encodeWithOffsets(String text, boolean addSpecialTokens) {
    return encodeBatchWithOffsets(List.of(text), addSpecialTokens).get(0);
  }

  /** {@link #encodeWithOffsets} for many texts in one native call. */
  public List<Encoded> encodeBatchWithOffsets(List<String> texts, boolean addSpecialTokens) {
    return batchEncode(texts, addSpecialTokens, (i, encoding) -> new Encoded(toInts(LIB.getTokenIds(encoding)),
        utf16Spans(texts.get(i), LIB.getTokenCharSpans(encoding))));
  }

  /** Encodes many texts in one native call (the Rust side parallelises); same ids as {@link #encode} per text. */
  public List<int[]> encodeBatch(List<String> texts, boolean addSpecialTokens) {
    return batchEncode(texts, addSpecialTokens, (i, encoding) -> toInts(LIB.getTokenIds(encoding)));
  }

  /** Reads one native encoding (the {@code index}-th text's) into a Java value. */
  private interface EncodingReader<T> {
    T read(int index, long encoding);
  }

  /** Encodes {@code texts} in one native call, reads each encoding with {@code reader} and frees them all. */
  private <T> List<T> batchEncode(List<String> texts, boolean addSpecialTokens, EncodingReader<T> reader) {
    if (texts.isEmpty()) {
      return List.of();
    }
    long[] encodings = LIB.batchEncode(hf.getHandle(), texts.toArray(new String[0]), addSpecialTokens);
    List<T> out = new ArrayList<>(encodings.length);
    try {
      for (int i = 0; i < encodings.length; i++) {
        out.add(reader.read(i, encodings[i]));
      }
    } finally {
      for (long e : encodings) {
        LIB.deleteEncoding(e);
      }
    }
    return out;
  }

  /** Text of {@code ids}; {@code skipSpecialTokens} drops special tokens such as {@code </s>}. */
  public String decode(int[] ids, boolean skipSpecialTokens) {
    long[] l = new long[ids.length];
    for (int i = 0; i < ids.length; i++) {
      l[i] = ids[i];
    }
    return hf.decode(l, skipSpecialTokens);
  }

  /**
   * Text of generated ids with special tokens skipped, as {@code tokenizer.decode(ids, skip_special_tokens=True)}.
   * Shaped as {@code dev.zephyr.core.generate.Detokenizer}: {@code tokenizer::decodeText}.
   */
  public String decodeText(int[] ids) {
    return decode(ids, true);
  }

  /** The id of a vocabulary or added token, given as its raw string ({@code "▁Hello"}, {@code "</s>"}). */
  public OptionalInt tokenToId(String token) {
    Integer id = tokenToId.get(token);
    return id == null ? OptionalInt.empty() : OptionalInt.of(id);
  }

  /** The raw token string of an id. */
  public Optional<String> idToToken(int id) {
    return id >= 0 && id < idToToken.length ? Optional.ofNullable(idToToken[id]) : Optional.empty();
  }

  /** Number of ids the tokenizer can produce: base vocabulary plus added tokens ({@code len(tokenizer)} in HF). */
  public int vocabSize() {
    return idToToken.length;
  }

  /** {@code bos_token} text, if the config names one. */
  public Optional<String> bosToken() {
    return Optional.ofNullable(config.bosToken());
  }

  /** {@code eos_token} text, if the config names one. */
  public Optional<String> eosToken() {
    return Optional.ofNullable(config.eosToken());
  }

  /** {@code pad_token} text, if the config names one. */
  public Optional<String> padToken() {
    return Optional.ofNullable(config.padToken());
  }

  /** Id of {@code bos_token}. */
  public OptionalInt bosTokenId() {
    return idOf(config.bosToken());
  }

  /** Id of {@code eos_token}. */
  public OptionalInt eosTokenId() {
    return idOf(config.eosToken());
  }

  /** Id of {@code pad_token}. */
  public OptionalInt padTokenId() {
    return idOf(config.padToken());
  }

  private OptionalInt idOf(String token) {
    return token == null ? OptionalInt.empty() : tokenToId(token);
  }

  @Override
  public void close() {
    hf.close();
  }

  /**
   * Ids with their spans in the encoded text (Java string indices, end exclusive; -1 for tokens with no text).
   *
   * @param ids token ids
   * @param starts start index of each token's text
   * @param ends end index (exclusive) of each token's text
   */
  public record Encoded(int[] ids, int[] starts, int[] ends) {
    Encoded(int[] ids, int[][] spans) {
      this(ids, spans[0], spans[1]);
    }
  }

  private static int[] toInts(long[] ids) {
    int[] out = new int[ids.length];
    for (int i = 0; i < ids.length; i++) {
      out[i] = Math.toIntExact(ids[i]);
    }
    return out;
  }

  /** Converts code-point spans to UTF-16 spans; one pass over the text. */
  private static int[][] utf16Spans(String text, CharSpan[] spans) {
    int n = spans.length;
    int[] starts = new int[n];
    int[] ends = new int[n];
    int cpCount = text.codePointCount(0, text.length());
    int[] cpToUtf16 = new int[cpCount + 1];
    for (int cp = 0, idx = 0; cp <= cpCount; cp++) {
      cpToUtf16[cp] = idx;
      if (idx < text.length()) {
        idx += Character.charCount(text.codePointAt(idx));
      }
    }
    for (int i = 0; i < n; i++) {
      CharSpan s = spans[i];
      if (s == null) {
        starts[i] = -1;
        ends[i] = -1;
      } else {
        starts[i] = cpToUtf16[Math.min(s.getStart(), cpCount)];
        ends[i] = cpToUtf16[Math.min(s.getEnd(), cpCount)];
      }
    }
    return new int[][] {starts, ends};
  }

  /**
   * Reads {@code model.vocab} (a {token: id} object for BPE/WordPiece/WordLevel, a [[piece, score], ...] list for
   * Unigram) and {@code added_tokens} from tokenizer.json with a streaming parser: the files are 2-11 MB.
   */
  private static Map<String, Integer> readVocab(Path json) {
    Map<String, Integer> vocab = new HashMap<>();
    try (JsonParser p = new JsonFactory().createParser(json.toFile())) {
      expect(p.nextToken() == JsonToken.START_OBJECT, json, "expected a JSON object");
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        p.nextToken();
        if (name.equals("added_tokens") && p.currentToken() == JsonToken.START_ARRAY) {
          while (p.nextToken() == JsonToken.START_OBJECT) {
            String content = null;
            Integer id = null;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
              String f = p.currentName();
              p.nextToken();
              if (f.equals("content")) {
                content = p.getText();
              } else if (f.equals("id")) {
                id = p.getIntValue();
              } else {
                p.skipChildren();
              }
            }
            expect(content != null && id != null, json, "added_tokens entry without content or id");
            vocab.put(content, id);
          }
        } else if (name.equals("model") && p.currentToken() == JsonToken.START_OBJECT) {
          while (p.nextToken() == JsonToken.FIELD_NAME) {
            String f = p.currentName();
            p.nextToken();
            if (f.equals("vocab")) {
              readModelVocab(p, vocab);
            } else {
              p.skipChildren();
            }
          }
        } else {
          p.skipChildren();
        }
      }
    } catch (IOException e) {
      throw new InvalidInputException(json.toString(), 0, null, "cannot read vocabulary: " + e.getMessage(), e);
    }
    expect(!vocab.isEmpty(), json, "no model.vocab");
    return vocab;
  }

  private static void readModelVocab(JsonParser p, Map<String, Integer> vocab) throws IOException {
    if (p.currentToken() == JsonToken.START_OBJECT) {
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String token = p.currentName();
        p.nextToken();
        vocab.putIfAbsent(token, p.getIntValue());
      }
    } else if (p.currentToken() == JsonToken.START_ARRAY) {
      int id = 0;
      while (p.nextToken() == JsonToken.START_ARRAY) {
        p.nextToken();
        vocab.putIfAbsent(p.getText(), id++);
        while (p.nextToken() != JsonToken.END_ARRAY) {
          p.skipChildren();
        }
      }
    } else {
      p.skipChildren();
    }
  }

  private static void expect(boolean ok, Path json, String message) {
    if (!ok) {
      throw new InvalidInputException(json.toString(), 0, "model.vocab", message);
    }
  }

  @Override
  public String toString() {
    return "Tokenizer[" + Objects.toString(dir) + ", vocab=" + vocabSize() + "]";
  }
}
