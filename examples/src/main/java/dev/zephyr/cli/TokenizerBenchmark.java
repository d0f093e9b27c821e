package dev.zephyr.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.zephyr.core.chat.Message;
import dev.zephyr.core.io.Json;
import dev.zephyr.core.tokenizer.ChatTemplate;
import dev.zephyr.core.tokenizer.ChatTokenizer;
import dev.zephyr.core.tokenizer.Tokenizer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Data-preparation throughput of the tokenizer layer: per-call encode against one batched native call, and full chat
 * formatting (render + encode + assistant mask). Prints numbers; not a test.
 *
 * <pre>java -cp examples/target/zephyr.jar dev.zephyr.cli.TokenizerBenchmark TOKENIZER_DIR ALPACA_EVAL_JSON [ROUNDS]
 * </pre>
 * The alpaca_eval reference outputs (805 instruction/answer pairs) serve as realistic conversations.
 */
public final class TokenizerBenchmark {
  private TokenizerBenchmark() {}

  public static void main(String[] args) throws IOException {
    Runtime.configureDefaults();
    Path dir = Path.of(args[0]);
    JsonNode records = Json.mapper().readTree(Path.of(args[1]).toFile());
    int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 3;
    List<List<Message>> convs = new ArrayList<>();
    for (JsonNode r : records) {
      convs.add(List.of(Message.user(r.get("instruction").asText()), Message.assistant(r.get("output").asText())));
    }
    long t0 = System.nanoTime();
    try (Tokenizer tok = Tokenizer.load(dir)) {
      System.out.printf("load %s: %.0f ms (vocab %d)%n", dir, (System.nanoTime() - t0) / 1e6, tok.vocabSize());
      ChatTokenizer chat = tok.config().chatTemplate().isPresent()
          ? ChatTokenizer.of(tok) : ChatTokenizer.of(tok, ChatTemplate.zephyr());
      List<String> texts = new ArrayList<>();
      for (List<Message> c : convs) {
        texts.add(chat.render(c, false));
      }
      List<String> shortTexts = new ArrayList<>();
      for (JsonNode r : records) {
        String ins = r.get("instruction").asText();
        shortTexts.add(ins.length() > 60 ? ins.substring(0, 60) : ins);
      }
      for (int round = 0; round < rounds; round++) {
        long a = System.nanoTime();
        long n = 0;
        for (int k = 0; k < 10; k++) {
          for (String t : shortTexts) {
            n += tok.encode(t, false).length;
          }
        }
        long b = System.nanoTime();
        for (int k = 0; k < 10; k++) {
          tok.encodeBatch(shortTexts, false);
        }
        long c = System.nanoTime();
        int count = shortTexts.size() * 10;
        System.out.printf("short texts (%d x <=60 chars, %d tokens): one by one %.1f us/text, encodeBatch %.1f us/text%n",
            count, n, (b - a) / 1e3 / count, (c - b) / 1e3 / count);
      }
      long chars = texts.stream().mapToLong(String::length).sum();
      for (int round = 0; round < rounds; round++) {
        long tokens = 0;
        // Baseline: DJL's own encode, which also copies tokens, masks and spans into Java objects.
        long z = System.nanoTime();
        try (ai.djl.huggingface.tokenizers.HuggingFaceTokenizer djl = ai.djl.huggingface.tokenizers
            .HuggingFaceTokenizer.newInstance(dir.resolve("tokenizer.json").toAbsolutePath().getParent(),
                java.util.Map.of("truncation", "false", "padding", "false"))) {
          z = System.nanoTime();
          for (String t : texts) {
            djl.encode(t, false, false).getIds();
          }
          System.out.printf("  DJL encode (full) : %7.1f ms  %6.1f us/text%n", (System.nanoTime() - z) / 1e6,
              (System.nanoTime() - z) / 1e3 / texts.size());
        }
        long a = System.nanoTime();
        for (String t : texts) {
          tokens += tok.encode(t, false).length;
        }
        long b = System.nanoTime();
        List<int[]> batch = tok.encodeBatch(texts, false);
        long c = System.nanoTime();
        for (List<Message> conv : convs) {
          chat.render(conv, false);
        }
        long d = System.nanoTime();
        long masked = 0;
        for (List<Message> conv : convs) {
          masked += chat.applyChatTemplate(conv, false).assistantTokenCount();
        }
        long e = System.nanoTime();
        long maskedBatch = chat.applyChatTemplateBatch(convs, false).stream()
            .mapToLong(x -> x.assistantTokenCount()).sum();
        long f = System.nanoTime();
        long batchTokens = batch.stream().mapToLong(x -> x.length).sum();
        System.out.printf("round %d: %d texts, %d chars, %d tokens%n", round, texts.size(), chars, tokens);
        System.out.printf("  encode one by one : %7.1f ms  %9.0f tokens/s  %6.1f us/text%n",
            (b - a) / 1e6, tokens / ((b - a) / 1e9), (b - a) / 1e3 / texts.size());
        System.out.printf("  encodeBatch       : %7.1f ms  %9.0f tokens/s  %6.1f us/text (same ids: %b)%n",
            (c - b) / 1e6, batchTokens / ((c - b) / 1e9), (c - b) / 1e3 / texts.size(), batchTokens == tokens);
        System.out.printf("  render only       : %7.1f ms  %6.1f us/conversation%n",
            (d - c) / 1e6, (d - c) / 1e3 / convs.size());
        System.out.printf("  applyChatTemplate : %7.1f ms  %6.1f us/conversation (render x3 + encode + mask; "
            + "%d assistant tokens)%n", (e - d) / 1e6, (e - d) / 1e3 / convs.size(), masked);
        System.out.printf("  applyChatTemplateBatch: %7.1f ms  %6.1f us/conversation (same masks: %b)%n",
            (f - e) / 1e6, (f - e) / 1e3 / convs.size(), maskedBatch == masked);
      }
    }
  }
}
