package dev.zephyr.eval.alpacaeval;

import dev.zephyr.core.chat.ChatModel;
import dev.zephyr.core.chat.ChatRequest;
import dev.zephyr.core.chat.ChatResponse;
import dev.zephyr.core.chat.Message;
import dev.zephyr.core.chat.SamplingParams;
import dev.zephyr.core.progress.Progress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes a model's {@code model_outputs.json} for the AlpacaEval set: one user turn per instruction, answers saved
 * atomically after every batch and reused on restart (matched on instruction), in eval-set order.
 */
public final class OutputGenerator {
  private static final Logger LOG = LoggerFactory.getLogger(OutputGenerator.class);

  private OutputGenerator() {}

  /** Generates (or resumes) outputs for every instruction of {@code evalSet}. */
  public static List<ModelOutput> generate(ChatModel model, String generatorName, List<ModelOutput> evalSet,
      SamplingParams params, int batchSize, Path outputFile) {
    return generate(model, generatorName, evalSet, params, batchSize, outputFile, Progress.NONE);
  }

  /** As {@link #generate(ChatModel, String, List, SamplingParams, int, Path)}, reporting task {@code generate}. */
  public static List<ModelOutput> generate(ChatModel model, String generatorName, List<ModelOutput> evalSet,
      SamplingParams params, int batchSize, Path outputFile, Progress progress) {
    Map<String, ModelOutput> done = new HashMap<>();
    if (outputFile != null && Files.exists(outputFile)) {
      for (ModelOutput o : AlpacaEvalFiles.readModelOutputs(outputFile)) {
        done.put(o.instruction(), o);
      }
    }
    List<ModelOutput> out = new ArrayList<>();
    List<Integer> pending = new ArrayList<>();
    for (ModelOutput e : evalSet) {
      ModelOutput previous = done.get(e.instruction());
      out.add(previous);
      if (previous == null) {
        pending.add(out.size() - 1);
      }
    }
    try (Progress.Task task = progress.start("generate", "instructions", evalSet.size(),
        evalSet.size() - pending.size())) {
      for (int start = 0; start < pending.size(); start += batchSize) {
        List<Integer> batch = pending.subList(start, Math.min(pending.size(), start + batchSize));
        List<ChatRequest> requests = new ArrayList<>();
        for (int i : batch) {
          requests.add(ChatRequest.of(List.of(Message.user(evalSet.get(i).instruction())), params));
        }
        List<ChatResponse> responses = model.complete(requests);
        long tokens = 0;
        for (int k = 0; k < batch.size(); k++) {
          ModelOutput e = evalSet.get(batch.get(k));
          out.set(batch.get(k), new ModelOutput(e.dataset(), e.instruction(), responses.get(k).text().strip(),
              generatorName));
          tokens += responses.get(k).completionTokens();
        }
        if (outputFile != null) {
          AlpacaEvalFiles.writeJson(outputFile, out.stream().filter(o -> o != null).toList());
        }
        task.advance(batch.size(), tokens);
        LOG.info("generated {}/{}", Math.min(pending.size(), start + batchSize), pending.size());
      }
    }
    if (outputFile != null && pending.isEmpty()) {
      // nothing generated, so no batch saved: write the reused outputs in eval-set order
      AlpacaEvalFiles.writeJson(outputFile, out);
    }
    return out;
  }
}
