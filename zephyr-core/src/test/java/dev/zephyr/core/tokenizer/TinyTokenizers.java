package dev.zephyr.core.tokenizer;

import dev.zephyr.core.io.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Tokenizers small enough for the tiny fixture models (vocab_size 1024): one token per printable ASCII character plus
 * {@code <unk>}=0, {@code <s>}=1, {@code </s>}=2, with the Zephyr chat template. Used by tests that run generation.
 */
public final class TinyTokenizers {
  private TinyTokenizers() {}

  /** Writes tokenizer.json and tokenizer_config.json into {@code dir} and returns it. */
  public static Path characterLevel(Path dir) {
    Map<String, Integer> vocab = new LinkedHashMap<>();
    vocab.put("<unk>", 0);
    vocab.put("<s>", 1);
    vocab.put("</s>", 2);
    vocab.put("\n", 3);
    for (char c = 0x20; c < 0x7f; c++) {
      vocab.put(String.valueOf(c), vocab.size());
    }
    Map<String, Object> model = new LinkedHashMap<>();
    model.put("type", "BPE");
    model.put("unk_token", "<unk>");
    model.put("fuse_unk", false);
    model.put("byte_fallback", false);
    model.put("vocab", vocab);
    model.put("merges", List.of());
    Map<String, Object> tokenizer = new LinkedHashMap<>();
    tokenizer.put("version", "1.0");
    tokenizer.put("added_tokens", List.of(added(0, "<unk>"), added(1, "<s>"), added(2, "</s>")));
    tokenizer.put("normalizer", null);
    tokenizer.put("pre_tokenizer", null);
    tokenizer.put("post_processor", null);
    tokenizer.put("decoder", Map.of("type", "Fuse"));
    tokenizer.put("model", model);
    Map<String, Object> config = new LinkedHashMap<>();
    config.put("bos_token", "<s>");
    config.put("eos_token", "</s>");
    config.put("unk_token", "<unk>");
    config.put("model_max_length", 1e30);
    config.put("chat_template", ChatTemplate.ZEPHYR_SOURCE);
    try {
      Files.createDirectories(dir);
      Json.mapper().writeValue(dir.resolve("tokenizer.json").toFile(), tokenizer);
      Json.mapper().writeValue(dir.resolve("tokenizer_config.json").toFile(), config);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return dir;
  }

  private static Map<String, Object> added(int id, String content) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", id);
    m.put("content", content);
    m.put("single_word", false);
    m.put("lstrip", false);
    m.put("rstrip", false);
    m.put("normalized", false);
    m.put("special", true);
    return m;
  }
}
