package dev.zephyr.cli;

import dev.zephyr.core.io.Jsonl;
import dev.zephyr.core.progress.ConsoleProgress;
import dev.zephyr.data.io.DatasetRows;
import dev.zephyr.eval.harness.HarnessData;
import dev.zephyr.eval.harness.HarnessRun;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code zephyr lm-eval}: the Open LLM Leaderboard tasks in lm-evaluation-harness's form on a local model. */
@Command(name = "lm-eval", mixinStandardHelpOptions = true,
    description = "Few-shot ARC, HellaSwag, MMLU and TruthfulQA as lm-evaluation-harness builds and scores them"
        + " (acc, acc_norm, MC2, stderr); writes lm-eval's results JSON and its Markdown tables.")
final class LmEvalCommand implements Callable<Integer> {
  @Option(names = "--task", required = true, split = ",", paramLabel = "NAME",
      description = "arc_challenge (25-shot), arc_easy (25), hellaswag (10), mmlu (5; or mmlu_<subject>,"
          + " mmlu_stem/other/social_sciences/humanities), truthfulqa_mc1, truthfulqa_mc2 (0); comma-separated")
  List<String> tasks;

  @Option(names = "--data", required = true, paramLabel = "DIR",
      description = "folder with the datasets in Hugging Face layout, JSONL or Parquet (e.g. DIR/allenai/ai2_arc/"
          + "ARC-Challenge/test-00000-of-00001.parquet, DIR/cais/mmlu/anatomy/dev.jsonl); repeatable")
  List<Path> data;

  @Option(names = "--model", required = true, paramLabel = "DIR", description = "Hugging Face model directory")
  Path model;

  @Option(names = "--tokenizer", paramLabel = "DIR", description = "tokenizer directory (default: the model directory)")
  Path tokenizer;

  @Option(names = "--num-fewshot", paramLabel = "K",
      description = "few-shot examples for every task (default: each task's leaderboard setting)")
  Integer numFewshot;

  @Option(names = "--limit", paramLabel = "N",
      description = "score only the first N documents of each task (a value below 1 is a fraction)")
  Double limit;

  @Option(names = "--batch-size", defaultValue = "8", description = "continuations scored per forward pass")
  int batchSize;

  @Option(names = "--max-length", defaultValue = "2048", description = "longest input in tokens (left-truncated)")
  int maxLength;

  @Option(names = "--out", defaultValue = "lm-eval-results.json", paramLabel = "FILE",
      description = "results JSON (the Markdown tables go next to it as .md)")
  Path out;

  @Option(names = "--cache", paramLabel = "FILE",
      description = "request cache JSONL; a killed run continues from it (default: next to --out)")
  Path cache;

  @Option(names = "--adapter", paramLabel = "DIR",
      description = "A PEFT LoRA adapter directory applied, unmerged, to --model.")
  Path adapter;

  @Mixin DeviceOption device;

  @Mixin Keep16BitOption keep16Bit;

  @Override
  public Integer call() {
    Path cacheFile = cache != null ? cache : out.toAbsolutePath().resolveSibling("lm-eval-requests.jsonl");
    String modelArgs = "pretrained=" + model + (tokenizer != null ? ",tokenizer=" + tokenizer : "")
        + ",max_length=" + maxLength;
    HarnessRun.Config config = new HarnessRun.Config(tasks, data, numFewshot, limit, batchSize, out, cacheFile,
        model.toAbsolutePath().normalize() + " max_length=" + maxLength, modelArgs);
    HarnessData.RowReader reader = file -> DatasetRows.readAll(file, Jsonl.OnError.FAIL).stream()
        .map(r -> new HarnessData.Row(r.value(), r.line())).toList();
    // the data is read and checked before the model is loaded
    ai.djl.Device onDevice = device.resolve();
    HarnessRun.Prepared prepared = HarnessRun.prepare(config, reader);
    try (LocalModels local = LocalModels.load(model, adapter, tokenizer, onDevice, keep16Bit.resolve(true))) {
      HarnessRun.Outcome outcome = prepared.run(local.loglikelihood(maxLength), ConsoleProgress.stderr());
      System.out.print(outcome.markdown());
      System.out.println("wrote " + outcome.json() + " and " + outcome.markdownFile());
    }
    return 0;
  }
}
