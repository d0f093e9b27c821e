package dev.zephyr.cli;

import picocli.CommandLine.Mixin;
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
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code zephyr mc}: multiple-choice log-likelihood accuracy of a local model on a JSONL task. */
@Command(name = "mc", mixinStandardHelpOptions = true,
    description = "Multiple-choice log-likelihood eval (lm-eval acc / acc_norm) on a JSONL task "
        + "({\"context\", \"choices\", \"gold\"} per line).")
final class McCommand implements Callable<Integer> {
  @Option(names = "--task", required = true, paramLabel = "FILE.jsonl", description = "task JSONL")
  Path task;

  @Option(names = "--format", defaultValue = "generic", description = "generic (context/choices/gold), arc,"
      + " hellaswag, mmlu, truthfulqa_mc1 or hhh (Hugging Face dataset rows, lm-eval prompt formats)")
  String format;

  @Option(names = "--primer", description = "truthfulqa_mc1: file with the few-shot primer placed before each question")
  Path primer;

  @Spec
  CommandSpec spec;

  // required, but checked in call(): picocli would not count the hidden --model-path towards a required option
  @Option(names = "--model", paramLabel = "DIR", description = "Hugging Face model directory (required)")
  Path model;

  @Option(names = "--model-path", paramLabel = "DIR", hidden = true, description = "old name of --model")
  void modelPath(Path dir) {
    model = dir;
  }

  @Option(names = "--adapter", paramLabel = "DIR", description = "PEFT LoRA adapter applied to --model without"
      + " merging; its tokenizer files, if any, are used")
  Path adapter;

  @Option(names = "--tokenizer", paramLabel = "DIR", description = "tokenizer directory (default: the model directory)")
  Path tokenizer;

  @Mixin DeviceOption device;

  @Mixin Keep16BitOption keep16Bit;

  @Option(names = "--batch-size", defaultValue = "8", description = "continuations scored per forward pass")
  int batchSize;

  @Option(names = "--max-length", defaultValue = "2048", description = "longest input in tokens")
  int maxLength;

  @Option(names = "--out", description = "also write the metrics JSON here")
  Path out;

  @Override
  public Integer call() throws Exception {
    if (model == null) {
      throw CliErrors.usageError(spec, "Missing required option: '--model=DIR'");
    }
    ai.djl.Device onDevice = device.resolve(); // before anything is read or loaded
    String primerText = primer != null ? java.nio.file.Files.readString(primer) : "";
    List<McExample> examples = McTask.read(task, format, primerText);
    try (LocalModels local = LocalModels.load(model, adapter, tokenizer, onDevice, keep16Bit.resolve(true))) {
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
