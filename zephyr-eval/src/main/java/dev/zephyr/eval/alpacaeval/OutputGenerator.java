package dev.zephyr.eval.alpacaeval;

import dev.zephyr.core.chat.ChatModel;
import dev.zephyr.core.chat.ChatRequest;
import dev.zephyr.core.chat.ChatResponse;
import dev.zephyr.core.chat.Message;
import dev.zephyr.core.chat.SamplingParams;
import dev.zephyr.core.job.FailureLog;
import dev.zephyr.core.job.WorkCounts;
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
 * atomically after every batch and reused on restart (matched on instruction), in eval-set order. An instruction whose
 * call fails for good is left out of the file and listed in {@code model_outputs.json.failures} ({@link FailureLog}),
 * so the next run asks again; when the model stops after repeated identical failures the rest stays pending.
 */
public final class OutputGenerator {
  private static final Logger LOG = LoggerFactory.getLogger(OutputGenerator.class);

  private OutputGenerator() {}

  /**
   * What a run left in the outputs file.
   *
   * @param outputs the outputs in eval-set order, without the instructions that are not done
   * @param counts instructions done (in the file), failed (a call failed for good in this run) and pending
   * @param stopReason why the run stopped early (the model kept failing with the same status), or null
   * @param failuresFile where this run's failed calls are listed (it exists only when some failed), or null
   */
  public record Result(List<ModelOutput> outputs, WorkCounts counts, String stopReason, Path failuresFile) {}

  /** Generates (or resumes) outputs for every instruction of {@code evalSet}. */
  public static Result generate(ChatModel model, String generatorName, List<ModelOutput> evalSet,
      SamplingParams params, int batchSize, Path outputFile) {
    return generate(model, generatorName, evalSet, params, batchSize, outputFile, Progress.NONE);
  }

  /** As {@link #generate(ChatModel, String, List, SamplingParams, int, Path)}, reporting task {@code generate}. */
  public static Result generate(ChatModel model, String generatorName, List<ModelOutput> evalSet,
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
    int failed = 0;
    FailureLog failures = outputFile == null ? FailureLog.inMemory() : FailureLog.besideFile(outputFile);
    try (failures; Progress.Task task = progress.start("generate", "instructions", evalSet.size(),
        evalSet.size() - pending.size())) {
      for (int start = 0; start < pending.size() && !failures.stopped(); start += batchSize) {
        List<Integer> batch = pending.subList(start, Math.min(pending.size(), start + batchSize));
        List<ChatRequest> requests = new ArrayList<>();
        for (int i : batch) {
          requests.add(ChatRequest.of(List.of(Message.user(evalSet.get(i).instruction())), params));
        }
        FailureLog.Answers answers = failures.answer(model, requests,
            k -> "instruction " + batch.get(k) + ": " + abbreviate(evalSet.get(batch.get(k)).instruction()),
            "output");
        for (int k = 0; k < batch.size(); k++) {
          ChatResponse r = answers.get(k);
          if (r == null) {
            failed += answers.failed(k) ? 1 : 0;
            continue;
          }
          ModelOutput e = evalSet.get(batch.get(k));
          out.set(batch.get(k), new ModelOutput(e.dataset(), e.instruction(), r.text().strip(), generatorName));
        }
        if (outputFile != null) {
          AlpacaEvalFiles.writeJson(outputFile, done(out));
        }
        task.advance(batch.size(), answers.completionTokens());
        LOG.info("generated {}/{}", Math.min(pending.size(), start + batchSize), pending.size());
      }
    }
    if (outputFile != null && pending.isEmpty()) {
      // nothing generated, so no batch saved: write the reused outputs in eval-set order
      AlpacaEvalFiles.writeJson(outputFile, out);
    }
    List<ModelOutput> written = done(out);
    return new Result(written, WorkCounts.of("instructions", evalSet.size(), written.size(), failed),
        failures.stopReason(), failures.file());
  }

  private static List<ModelOutput> done(List<ModelOutput> out) {
    return out.stream().filter(o -> o != null).toList();
  }

  /** An instruction shortened for the failures file. */
  static String abbreviate(String s) {
    String oneLine = s.replaceAll("\\s+", " ").strip();
    return oneLine.length() > 80 ? oneLine.substring(0, 77) + "..." : oneLine;
  }
}
