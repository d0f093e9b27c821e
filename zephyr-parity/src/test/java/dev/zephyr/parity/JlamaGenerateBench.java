package dev.zephyr.parity;

import com.github.tjake.jlama.model.AbstractModel;
import com.github.tjake.jlama.model.ModelSupport;
import com.github.tjake.jlama.model.functions.Generator;
import com.github.tjake.jlama.safetensors.DType;
import com.github.tjake.jlama.safetensors.prompt.PromptContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.UUID;

/**
 * Jlama 0.8.4's single-stream greedy generation speed on a Hugging Face checkpoint directory: the peer figure the
 * zephyr batched-generation target is set against. Prints one JSON line.
 *
 * <pre>
 * JlamaGenerateBench DIR [--tokens 128] [--runs 5] [--threads N] [--prompt TEXT]
 *                        [--create] [--vocab 32000 --hidden 256 --inter 688 --layers 4 --heads 8 --kv-heads 4]
 * </pre>
 * {@code --create} first writes a random F32 Llama checkpoint of the given size (torch_reference.py's bench defaults,
 * init std 0.02) to DIR with zephyr's own writer, plus the Zephyr tokenizer.
 *
 * <p>Run it (JDK 21+; from the repository root):
 * <pre>
 * mvn -B -ntp -o -q -pl zephyr-parity -am test-compile dependency:build-classpath \
 *     -Dmdep.outputFile=target/test-classpath.txt -Dmdep.includeScope=test
 * DJL_OFFLINE=true java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Dai.djl.offline=true \
 *     -cp zephyr-parity/target/test-classes:$(cat zephyr-parity/target/test-classpath.txt) \
 *     dev.zephyr.parity.JlamaGenerateBench /tmp/llama-bench-default --create --tokens 128
 * </pre>
 * The reported {@code tokens_per_s} is the median run; on a shared machine also look at the spread.
 */
public final class JlamaGenerateBench {
  private JlamaGenerateBench() {}

  public static void main(String[] args) throws Exception {
    if (args.length == 0 || args[0].startsWith("--")) {
      System.err.println("usage: JlamaGenerateBench DIR [--tokens 128] [--runs 5] [--threads N] [--prompt TEXT] "
          + "[--create [--vocab V --hidden H --inter I --layers L --heads N --kv-heads K]]");
      System.exit(2);
    }
    Path dir = Paths.get(args[0]);
    int tokens = 128;
    int runs = 5;
    int threads = 0;
    boolean create = false;
    String prompt = "Write a short story about a lighthouse keeper who finds a message in a bottle.";
    int vocab = 32000, hidden = 256, inter = 688, layers = 4, heads = 8, kvHeads = 4;
    for (int i = 1; i < args.length; i++) {
      switch (args[i]) {
        case "--tokens" -> tokens = Integer.parseInt(args[++i]);
        case "--runs" -> runs = Integer.parseInt(args[++i]);
        case "--threads" -> threads = Integer.parseInt(args[++i]);
        case "--prompt" -> prompt = args[++i];
        case "--create" -> create = true;
        case "--vocab" -> vocab = Integer.parseInt(args[++i]);
        case "--hidden" -> hidden = Integer.parseInt(args[++i]);
        case "--inter" -> inter = Integer.parseInt(args[++i]);
        case "--layers" -> layers = Integer.parseInt(args[++i]);
        case "--heads" -> heads = Integer.parseInt(args[++i]);
        case "--kv-heads" -> kvHeads = Integer.parseInt(args[++i]);
        default -> {
          System.err.println("unknown option " + args[i]);
          System.exit(2);
        }
      }
    }
    if (create) {
      TinyCheckpoints.write(dir, TinyCheckpoints.llama(vocab, hidden, inter, layers, heads, kvHeads), 0, 0.02);
    }
    if (!Files.isRegularFile(dir.resolve("config.json")) || !Files.isRegularFile(dir.resolve("tokenizer.json"))) {
      System.err.println(dir + ": needs config.json, tokenizer.json and safetensors weights (try --create)");
      System.exit(1);
    }

    Optional<Integer> threadCount = threads > 0 ? Optional.of(threads) : Optional.empty();
    AbstractModel model = ModelSupport.loadModel(dir.toFile(), null, DType.F32, DType.F32, Optional.empty(),
        threadCount);
    try {
      generate(model, prompt, tokens); // warm-up: JIT and Vector API kernels
      List<Generator.Response> results = new ArrayList<>();
      for (int r = 0; r < runs; r++) {
        results.add(generate(model, prompt, tokens));
      }
      results.sort((a, b) -> Double.compare(tokensPerSecond(a), tokensPerSecond(b)));
      Generator.Response median = results.get(results.size() / 2);
      StringBuilder all = new StringBuilder();
      for (Generator.Response r : results) {
        all.append(all.length() == 0 ? "" : ",").append(String.format(Locale.ROOT, "%.1f", tokensPerSecond(r)));
      }
      System.out.printf(Locale.ROOT, "{\"engine\":\"jlama-core 0.8.4\",\"mode\":\"generate\",\"batch\":1,"
              + "\"tokens_per_s\":%.1f,\"runs_tokens_per_s\":[%s],\"generated_tokens\":%d,\"prompt_tokens\":%d,"
              + "\"generate_ms\":%d,\"prompt_ms\":%d,\"finish_reason\":\"%s\",\"threads\":\"%s\","
              + "\"java\":\"%s\",\"loadavg_1m\":\"%s\"}%n",
          tokensPerSecond(median), all, median.generatedTokens, median.promptTokens, median.generateTimeMs,
          median.promptTimeMs, median.finishReason, threads > 0 ? threads : "jlama default (physical cores)",
          System.getProperty("java.version"), loadAverage());
    } finally {
      model.close();
    }
  }

  private static Generator.Response generate(AbstractModel model, String prompt, int tokens) {
    // Jlama's ntokens bounds the whole context (prompt included, BOS included), so ask for prompt + new to get
    // exactly `tokens` new ones. Greedy (temperature 0); a fresh session each run so every run pays the same prompt.
    PromptContext context = PromptContext.of(prompt);
    int promptLength = model.encodePrompt(context).length;
    return model.generate(UUID.randomUUID(), context, 0.0f, promptLength + tokens, (text, time) -> {});
  }

  /** The 1-minute load average where the OS reports one (Linux), so timings on a shared machine can be judged. */
  static String loadAverage() {
    try {
      return Files.readString(Paths.get("/proc/loadavg")).split(" ")[0];
    } catch (Exception e) {
      return "unknown";
    }
  }

  /** Generated tokens over the generation phase (Jlama times the prompt separately). */
  private static double tokensPerSecond(Generator.Response r) {
    return r.generatedTokens * 1000.0 / Math.max(1, r.generateTimeMs);
  }
}
