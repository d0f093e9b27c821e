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
import dev.zephyr.core.model.ModelConfig;
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
 * Decoding speed against Jlama on one checkpoint: zephyr's single stream and zephyr's batch (default 8), each
 * against Jlama 0.8.4's single stream, greedy, {@code --tokens} new tokens per sequence. The three are run in turn
 * every round so that a busy machine slows all alike; prints two JSON lines (batch 1, then the batch), each with the
 * medians, their ratio, the target from issue 18 (1.0 and 4.0), the thread counts and the load average before and
 * after.
 *
 * <pre>
 * GenerateRatioBench DIR [--shape default|smollm2-135m] [--create] [--batch 8] [--tokens 128] [--rounds 5]
 *                        [--threads N]
 * </pre>
 * {@code --create} writes a random F32 checkpoint of the shape to DIR first ({@code default}: torch_reference.py's
 * bench defaults, vocab 32000, hidden 256, 4 layers; {@code smollm2-135m}: vocab 49152, hidden 576, 30 layers, 9 heads,
 * 3 KV heads, with an untied head of the same size). {@code --threads N} gives Jlama N threads and runs zephyr's
 * generation with N libtorch threads (system property {@code zephyr.generate.threads}); without it both keep their
 * defaults (Jlama: the physical cores; zephyr: the generator's default). Run it like {@link JlamaGenerateBench} (same
 * class path and JVM flags).
 */
public final class GenerateRatioBench {
  private GenerateRatioBench() {}

  public static void main(String[] args) throws Exception {
    if (args.length == 0 || args[0].startsWith("--")) {
      System.err.println("usage: GenerateRatioBench DIR [--shape default|smollm2-135m] [--create] [--batch 8]"
          + " [--tokens 128] [--rounds 5] [--threads N]");
      System.exit(2);
    }
    Path dir = Paths.get(args[0]);
    String shape = "default";
    int batch = 8;
    int tokens = 128;
    int rounds = 5;
    int threads = 0;
    boolean create = false;
    for (int i = 1; i < args.length; i++) {
      switch (args[i]) {
        case "--shape" -> shape = args[++i];
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
      TinyCheckpoints.write(dir, config(shape), 0, 0.02);
    }
    if (!Files.isRegularFile(dir.resolve("config.json"))) {
      System.err.println(dir + ": no config.json (try --create)");
      System.exit(1);
    }
    if (threads > 0) {
      System.setProperty("zephyr.generate.threads", Integer.toString(threads));
    }
    String loadBefore = JlamaGenerateBench.loadAverage();

    String promptText = "Write a short story about a lighthouse keeper who finds a message in a bottle.";
    AbstractModel jlama = ModelSupport.loadModel(dir.toFile(), null, DType.F32, DType.F32, Optional.empty(),
        threads > 0 ? Optional.of(threads) : Optional.empty());
    int[] prompt = jlama.encodePrompt(PromptContext.of(promptText)); // the same prompt length on both sides
    try (NDManager manager = NDManager.newBaseManager(); LlamaModel model = LlamaModel.load(dir, manager)) {
      Generator single = new Generator(model, null, manager, 1);
      Generator batched = new Generator(model, null, manager, batch);
      List<GenerationRequest> one = requests(prompt, 1, tokens, model.config().vocabSize());
      List<GenerationRequest> many = requests(prompt, batch, tokens, model.config().vocabSize());
      zephyr(single, one); // warm-ups
      zephyr(batched, many);
      jlama(jlama, promptText, prompt.length, tokens);

      double[] ours1 = new double[rounds];
      double[] oursB = new double[rounds];
      double[] theirs = new double[rounds];
      long generatedTheirs = 0;
      for (int r = 0; r < rounds; r++) {
        Response response = jlama(jlama, promptText, prompt.length, tokens);
        // Jlama's own timing of its generation phase, as JlamaGenerateBench reports it.
        theirs[r] = response.generatedTokens * 1000.0 / Math.max(1, response.generateTimeMs);
        generatedTheirs = response.generatedTokens;
        ours1[r] = zephyr(single, one);
        oursB[r] = zephyr(batched, many);
      }
      String common = String.format(Locale.ROOT, "\"bench\":\"decode-vs-jlama\",\"shape\":\"%s\",\"checkpoint\":\"%s\","
              + "\"params\":%d,\"prompt_tokens\":%d,\"new_tokens\":%d,\"jlama_tokens_per_s\":%.1f,\"jlama_runs\":%s,"
              + "\"jlama_generated\":%d,\"jlama_threads\":\"%s\",\"libtorch_threads\":\"%s\",",
          shape, dir, model.parameterCount(), prompt.length, tokens, median(theirs), format(theirs), generatedTheirs,
          threads > 0 ? threads : "default", threads > 0 ? threads : "generator default");
      String load = String.format(Locale.ROOT, "\"loadavg_1m_before\":\"%s\",\"loadavg_1m_after\":\"%s\"", loadBefore,
          JlamaGenerateBench.loadAverage());
      for (int b : new int[] {1, batch}) {
        double[] ours = b == 1 ? ours1 : oursB;
        System.out.printf(Locale.ROOT, "{%s\"zephyr_batch\":%d,\"zephyr_tokens_per_s\":%.1f,\"zephyr_runs\":%s,"
                + "\"ratio\":%.2f,\"target_ratio\":%.1f,%s}%n",
            common, b, median(ours), format(ours), median(ours) / median(theirs), b == 1 ? 1.0 : 4.0, load);
      }
    } finally {
      jlama.close();
    }
  }

  /** The checkpoint shapes, as torch_reference.py names them. */
  static ModelConfig config(String shape) {
    return switch (shape) {
      case "default" -> TinyCheckpoints.llama(32000, 256, 688, 4, 8, 4);
      case "smollm2-135m" -> TinyCheckpoints.llama(49152, 576, 1536, 30, 9, 3);
      default -> throw new IllegalArgumentException("unknown --shape " + shape + ": default or smollm2-135m");
    };
  }

  /** {@code batch} greedy requests of the prompt's length: row 0 is the prompt, the others random (distinct rows). */
  private static List<GenerationRequest> requests(int[] prompt, int batch, int tokens, int vocab) {
    List<GenerationRequest> requests = new ArrayList<>();
    SplittableRandom random = new SplittableRandom(1);
    for (int b = 0; b < batch; b++) {
      int[] ids = Arrays.copyOf(prompt, prompt.length);
      for (int i = 1; i < ids.length; i++) {
        ids[i] = b == 0 ? ids[i] : random.nextInt(3, vocab);
      }
      requests.add(new GenerationRequest(ids, SamplingParams.greedy(tokens)));
    }
    return requests;
  }

  /** New tokens per second over the batch, timed end to end (prompt prefill included, which only flatters Jlama). */
  private static double zephyr(Generator generator, List<GenerationRequest> requests) {
    long start = System.nanoTime();
    long n = 0;
    for (GenerationResult result : generator.generate(requests)) {
      n += result.first().length();
    }
    return n / ((System.nanoTime() - start) / 1e9);
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
