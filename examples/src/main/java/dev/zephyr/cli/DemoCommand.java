package dev.zephyr.cli;

import ai.djl.ndarray.NDManager;
import dev.zephyr.core.ZephyrException;
import dev.zephyr.core.chat.SamplingParams;
import dev.zephyr.core.generate.GeneratedSequence;
import dev.zephyr.core.generate.GenerationRequest;
import dev.zephyr.core.generate.Generator;
import dev.zephyr.core.model.LlamaModel;
import dev.zephyr.core.model.LogProbs;
import dev.zephyr.core.model.ModelConfig;
import dev.zephyr.core.model.ModelType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code zephyr demo}: a small end-to-end demo that needs no downloads. Builds a tiny random Llama model, saves
 * it as a Hugging Face directory, loads it back, checks that both give the same log-probs, and generates.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
    description = "Offline demo: build a tiny model, save it (HF layout), load it back, compare log-probs, generate.")
public final class DemoCommand implements Callable<Integer> {
  @Option(names = "--out", paramLabel = "DIR", description = "where to save the model (default: a temporary directory)")
  Path out;

  @Override
  public Integer call() throws Exception {
    Path dir = out != null ? out : Files.createTempDirectory("zephyr-quickstart").resolve("tiny-llama");
    ModelConfig config = ModelConfig.builder().modelType(ModelType.LLAMA).vocabSize(512).hiddenSize(64)
        .numHiddenLayers(2).numAttentionHeads(4).numKeyValueHeads(2).intermediateSize(172).eosTokenIds(List.of(2))
        .build();
    int[] prompt = {1, 17, 42, 99, 7};
    try (NDManager manager = NDManager.newBaseManager()) {
      float[][] before;
      try (LlamaModel model = LlamaModel.random(config, 42, 0.5, manager)) {
        System.out.printf("1. built a random %s model: %,d parameters, %d layers, %d/%d heads (GQA)%n",
            config.modelType().id(), model.parameterCount(), config.numHiddenLayers(), config.numAttentionHeads(),
            config.numKeyValueHeads());
        model.save(dir);
        System.out.println("2. saved it as a Hugging Face directory: " + dir + " " + list(dir));
        before = LogProbs.rows(model, prompt, manager);
      }
      try (LlamaModel loaded = LlamaModel.load(dir, manager)) {
        float[][] after = LogProbs.rows(loaded, prompt, manager);
        double maxDiff = 0;
        for (int t = 0; t < after.length; t++) {
          for (int v = 0; v < after[t].length; v++) {
            maxDiff = Math.max(maxDiff, Math.abs(after[t][v] - before[t][v]));
          }
        }
        System.out.printf("3. loaded it back: log-probs of %s agree to max |diff| = %.2e%n", Arrays.toString(prompt),
            maxDiff);
        if (maxDiff > 1e-5) {
          throw new ZephyrException("the reloaded model disagrees with the saved one (max |diff| " + maxDiff + ")");
        }
        Generator generator = new Generator(loaded, null, manager);
        GeneratedSequence greedy = generator.generate(List.of(new GenerationRequest(prompt,
            SamplingParams.greedy(16)))).get(0).first();
        GeneratedSequence sampled = generator.generate(List.of(new GenerationRequest(prompt,
            SamplingParams.builder().temperature(0.8).topP(0.95).seed(7L).maxTokens(16).build()))).get(0).first();
        System.out.println("4. greedy continuation:  " + Arrays.toString(greedy.tokenIds()) + " ("
            + greedy.finishReason().wireName() + ")");
        System.out.println("   sampled (seed 7):     " + Arrays.toString(sampled.tokenIds()) + " ("
            + sampled.finishReason().wireName() + ")");
        System.out.println("Done. Try: java -jar examples/target/zephyr.jar logprobs --model " + dir + " --ids 1,17,42");
        return 0;
      }
    }
  }

  private static String list(Path dir) throws java.io.IOException {
    try (var s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList().toString();
    }
  }
}
