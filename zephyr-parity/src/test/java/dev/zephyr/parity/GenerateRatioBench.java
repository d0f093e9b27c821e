package dev.zephyr.parity;

import ai.djl.ndarray.NDManager;
import com.github.tjake.jlama.model.AbstractModel;
import com.github.tjake.jlama.model.ModelSupport;
import com.github.tjake.jlama.model.functions.Generator.Response;
import com.github.tjake.jlama.safetensors.DType;
import com.github.tjake.jlama.safetensors.prompt.PromptContext;
import dev.zephyr.core.chat.SamplingParams;
import dev.zephyr.core.generate.GenerationRequest;
import dev.zephyr.core.generate.GenerationResult;
import dev.zephyr.core.generate.Generator;
import dev.zephyr.core.model.LlamaModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.UUID;

/**
 * Back-to-back on one checkpoint: zephyr's batched greedy generation (default batch 8) against Jlama 0.8.4's
 * single-stream greedy generation, alternating runs so that a busy machine slows both alike. Prints one JSON line
 * with both medians and their ratio (the target is a ratio of at least 2).
 *
 * <pre>
 * GenerateRatioBench DIR [--batch 8] [--tokens 128] [--rounds 5] [--threads N] [--create (bench default size)]
 * </pre>
 * Run it like {@link JlamaGenerateBench} (same class path and JVM flags).
 */
public final class GenerateRatioBench {
  private GenerateRatioBench() {}

  public static void main(String[] args) throws Exception {
    if (args.length == 0 || args[0].startsWith("--")) {
      System.err.println("usage: GenerateRatioBench DIR [--batch 8] [--tokens 128] [--rounds 5] [--threads N] [--create]");
      System.exit(2);
    }
    Path dir = Paths.get(args[0]);
    int batch = 8;
    int tokens = 128;
    int rounds = 5;
    int threads = 0;
    boolean create = false;
    for (int i = 1; i < args.length; i++) {
      switch (args[i]) {
        case "--batch" -> batch = Integer.parseInt(args[++i]);
        case "--tokens" -> tokens = Integer.parseInt(args[++i]);
        case "--rounds" -> rounds = Integer.parseInt(args[++i]);
        case "--threads" -> threads = Integer.parseInt(args[++i]);
        case "--create" -> create = true;
        default -> {
          System.err.println("unknown option " + args[i]);
          System.exit(2);
        }
      }
    }
    if (create) {
      TinyCheckpoints.write(dir, TinyCheckpoints.llama(32000, 256, 688, 4, 8, 4), 0, 0.02);
    }
    if (!Files.isRegularFile(dir.resolve("config.json"))) {
      System.err.println(dir + ": no config.json (try --create)");
      System.exit(1);
    }

    String promptText = "Write a short story about a lighthouse keeper who finds a message in a bottle.";
    AbstractModel jlama = ModelSupport.loadModel(dir.toFile(), null, DType.F32, DType.F32, Optional.empty(),
        threads > 0 ? Optional.of(threads) : Optional.empty());
    int[] prompt = jlama.encodePrompt(PromptContext.of(promptText)); // the same prompt length on both sides
    try (NDManager manager = NDManager.newBaseManager(); LlamaModel model = LlamaModel.load(dir, manager)) {
      Generator generator = new Generator(model, null, manager, batch);
      List<GenerationRequest> requests = new ArrayList<>();
      SplittableRandom random = new SplittableRandom(1);
      for (int b = 0; b < batch; b++) {
        int[] ids = Arrays.copyOf(prompt, prompt.length);
        for (int i = 1; i < ids.length; i++) {
          ids[i] = b == 0 ? ids[i] : random.nextInt(3, model.config().vocabSize()); // distinct rows
        }
        requests.add(new GenerationRequest(ids, SamplingParams.greedy(tokens)));
      }
      zephyr(generator, requests); // warm-ups
      jlama(jlama, promptText, prompt.length, tokens);

      double[] ours = new double[rounds];
      double[] theirs = new double[rounds];
      long generatedOurs = 0;
      long generatedTheirs = 0;
      for (int r = 0; r < rounds; r++) {
        long start = System.nanoTime();
        long n = zephyr(generator, requests);
        ours[r] = n / ((System.nanoTime() - start) / 1e9);
        generatedOurs = n;
        Response response = jlama(jlama, promptText, prompt.length, tokens);
        // Jlama's own timing of its generation phase, as JlamaGenerateBench reports it.
        theirs[r] = response.generatedTokens * 1000.0 / Math.max(1, response.generateTimeMs);
        generatedTheirs = response.generatedTokens;
      }
      double medianOurs = median(ours);
      double medianTheirs = median(theirs);
      System.out.printf(Locale.ROOT, "{\"checkpoint\":\"%s\",\"prompt_tokens\":%d,\"new_tokens\":%d,"
              + "\"zephyr_batch\":%d,\"zephyr_tokens_per_s\":%.1f,\"zephyr_runs\":%s,\"zephyr_generated\":%d,"
              + "\"jlama_tokens_per_s\":%.1f,\"jlama_runs\":%s,\"jlama_generated\":%d,\"ratio\":%.2f,"
              + "\"libtorch_threads\":\"%s\",\"jlama_threads\":\"%s\",\"loadavg_1m\":\"%s\"}%n",
          dir, prompt.length, tokens, batch, medianOurs, format(ours), generatedOurs, medianTheirs, format(theirs),
          generatedTheirs, medianOurs / medianTheirs, System.getProperty("ai.djl.pytorch.num_threads", "default"),
          threads > 0 ? threads : "default", JlamaGenerateBench.loadAverage());
    } finally {
      jlama.close();
    }
  }

  /** Total new tokens over the batch, timed end to end (prompt prefill included, which only flatters Jlama). */
  private static long zephyr(Generator generator, List<GenerationRequest> requests) {
    long n = 0;
    for (GenerationResult result : generator.generate(requests)) {
      n += result.first().length();
    }
    return n;
  }

  private static Response jlama(AbstractModel model, String prompt, int promptLength, int tokens) {
    return model.generate(UUID.randomUUID(), PromptContext.of(prompt), 0.0f, promptLength + tokens, (t, f) -> {});
  }

  private static double median(double[] values) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    return sorted[sorted.length / 2];
  }

  private static String format(double[] values) {
    StringBuilder b = new StringBuilder("[");
    for (int i = 0; i < values.length; i++) {
      b.append(i == 0 ? "" : ",").append(String.format(Locale.ROOT, "%.1f", values[i]));
    }
    return b.append(']').toString();
  }
}
