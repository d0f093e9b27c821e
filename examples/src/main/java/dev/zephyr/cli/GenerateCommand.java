package dev.zephyr.cli;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.zephyr.core.ZephyrException;
import dev.zephyr.core.chat.SamplingParams;
import dev.zephyr.core.generate.GeneratedSequence;
import dev.zephyr.core.generate.GenerationRequest;
import dev.zephyr.core.generate.GenerationResult;
import dev.zephyr.core.generate.Generator;
import dev.zephyr.core.generate.PromptFormatter;
import dev.zephyr.core.io.Json;
import dev.zephyr.core.model.LlamaModel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code zephyr generate --model DIR --prompt-ids 1,5,9}: continues token-id prompts and prints one JSON object per
 * prompt and choice (generated ids, finish reason, counts, optional log-probs).
 */
@Command(name = "generate", mixinStandardHelpOptions = true,
    description = "Generate continuations of token-id prompts with a local model; prints JSON lines.")
public final class GenerateCommand implements Callable<Integer> {
  @Option(names = "--model", required = true, description = "Hugging Face model directory") Path model;
  @Option(names = "--prompt-ids", required = true,
      description = "prompt token ids, comma-separated; several prompts separated by ';' are generated as one batch")
  String promptIds;
  @Option(names = "--max-new-tokens", defaultValue = "64") int maxNewTokens;
  @Option(names = "--temperature", defaultValue = "0", description = "0 = greedy (default)") double temperature;
  @Option(names = "--top-k", defaultValue = "0") int topK;
  @Option(names = "--top-p", defaultValue = "1.0") double topP;
  @Option(names = "--repetition-penalty", defaultValue = "1.0") double repetitionPenalty;
  @Option(names = "--seed", description = "sampling seed (same seed, same output)") Long seed;
  @Option(names = "--n", defaultValue = "1", description = "choices per prompt") int n;
  @Option(names = "--stop-token-ids", split = ",", description = "extra token ids that end generation (EOS always does)")
  List<Integer> stopTokenIds = new ArrayList<>();
  @Option(names = "--logprobs", description = "also print each generated token's log-probability") boolean logprobs;

  @Override
  public Integer call() throws Exception {
    List<int[]> prompts = new ArrayList<>();
    SamplingParams params;
    try {
      for (String p : promptIds.split(";")) {
        prompts.add(PromptFormatter.parseIds(p));
      }
      params = SamplingParams.builder().temperature(temperature).topK(topK).topP(topP)
          .repetitionPenalty(repetitionPenalty).maxTokens(maxNewTokens).seed(seed).n(n).stopTokenIds(stopTokenIds)
          .logprobs(logprobs).build();
    } catch (ZephyrException | IllegalArgumentException e) {
      System.err.println("error: " + e.getMessage());
      return 2;
    }
    try (NDManager manager = NDManager.newBaseManager(); LlamaModel m = LlamaModel.load(model, manager)) {
      for (int[] p : prompts) {
        for (int id : p) {
          if (id >= m.config().vocabSize()) {
            System.err.println("error: --prompt-ids: token id " + id + " is outside the vocabulary (vocab_size "
                + m.config().vocabSize() + ")");
            return 2;
          }
        }
      }
      List<GenerationRequest> requests = new ArrayList<>();
      prompts.forEach(p -> requests.add(new GenerationRequest(p, params)));
      List<GenerationResult> results = new Generator(m, null, manager).generate(requests);
      for (int i = 0; i < results.size(); i++) {
        GenerationResult r = results.get(i);
        for (int c = 0; c < r.choices().size(); c++) {
          GeneratedSequence s = r.choices().get(c);
          ObjectNode o = Json.mapper().createObjectNode();
          o.put("prompt", i);
          o.put("choice", c);
          ArrayNode ids = o.putArray("token_ids");
          for (int id : s.tokenIds()) {
            ids.add(id);
          }
          o.put("finish_reason", s.finishReason().wireName());
          o.put("prompt_tokens", r.promptTokens());
          o.put("completion_tokens", s.length());
          if (s.logprobs() != null) {
            ArrayNode lp = o.putArray("logprobs");
            for (float f : s.logprobs()) {
              lp.add(f);
            }
          }
          System.out.println(Json.mapper().writeValueAsString(o));
        }
      }
      return 0;
    } catch (ZephyrException e) {
      System.err.println("error: " + e.getMessage());
      return 1;
    }
  }
}
