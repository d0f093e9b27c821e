package dev.zephyr.cli;

import dev.zephyr.core.io.AtomicFiles;
import dev.zephyr.core.io.Json;
import dev.zephyr.core.progress.ConsoleProgress;
import dev.zephyr.eval.mc.McEvaluator;
import dev.zephyr.eval.mc.McExample;
import dev.zephyr.eval.mc.McTask;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code zephyr mc}: multiple-choice log-likelihood accuracy of a local model on a JSONL task. */
@Command(name = "mc", mixinStandardHelpOptions = true,
    description = "Multiple-choice log-likelihood eval (lm-eval acc / acc_norm) on a JSONL task "
        + "({\"context\", \"choices\", \"gold\"} per line).")
final class McCommand extends EvalCall {
  @Option(names = "--task", required = true, description = "task JSONL")
  Path task;

  @Option(names = "--format", defaultValue = "generic", description = "generic (context/choices/gold), arc,"
      + " hellaswag, mmlu, truthfulqa_mc1 or hhh (Hugging Face dataset rows, lm-eval prompt formats)")
  String format;

  @Option(names = "--primer", description = "truthfulqa_mc1: file with the few-shot primer placed before each question")
  Path primer;

  @Option(names = "--model-path", required = true, description = "Hugging Face model directory")
  Path modelPath;

  @Option(names = "--tokenizer", description = "tokenizer directory (default: the model directory)")
  Path tokenizer;

  @Option(names = "--batch-size", defaultValue = "8")
  int batchSize;

  @Option(names = "--max-length", defaultValue = "2048", description = "longest input in tokens")
  int maxLength;

  @Option(names = "--out", description = "also write the metrics JSON here")
  Path out;

  @Override
  int execute() throws Exception {
    String primerText = primer != null ? java.nio.file.Files.readString(primer) : "";
    List<McExample> examples = McTask.read(task, format, primerText);
    try (LocalModels local = LocalModels.load(modelPath, tokenizer)) {
      McEvaluator.Result r = new McEvaluator(local.loglikelihood(maxLength), batchSize)
          .evaluate(examples, ConsoleProgress.stderr());
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("task", task.getFileName().toString());
      m.put("format", format);
      m.put("n", r.n());
      m.put("acc", r.acc());
      m.put("acc_stderr", r.accStderr());
      m.put("acc_norm", r.accNorm());
      m.put("acc_norm_stderr", r.accNormStderr());
      String json = Json.mapper().writeValueAsString(m);
      System.out.println(json);
      if (out != null) {
        AtomicFiles.writeString(out, json + "\n");
      }
    }
    return 0;
  }
}
