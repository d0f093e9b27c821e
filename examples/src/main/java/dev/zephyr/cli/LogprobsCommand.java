package dev.zephyr.cli;

import picocli.CommandLine.Mixin;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.zephyr.core.io.Json;
import dev.zephyr.core.model.LlamaModel;
import dev.zephyr.core.model.lora.AdaptedModel;
import dev.zephyr.core.model.LogProbs;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code zephyr logprobs --model DIR --ids "1,5,9;1,42"}: per-position log-softmax rows of each sequence as one JSON
 * array {@code [sequence][position][vocab]}, the shape {@code torch_reference.py logits} prints.
 */
@Command(name = "logprobs", mixinStandardHelpOptions = true,
    description = "Print per-position log-softmax rows (JSON [sequence][position][vocab]) for token id sequences.")
public final class LogprobsCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Option(names = "--model", required = true, paramLabel = "DIR", description = "Hugging Face model directory")
  Path model;
  @Option(names = "--adapter", paramLabel = "DIR",
      description = "PEFT LoRA adapter (adapter_config.json + adapter_model.safetensors) applied to --model")
  Path adapter;

  @Mixin DeviceOption device;

  @Mixin Keep16BitOption keep16Bit;

  @Option(names = "--ids", required = true, description = "token ids: comma-separated, sequences separated by ';'")
  String ids;

  @Override
  public Integer call() throws Exception {
    List<int[]> sequences = new ArrayList<>();
    for (String seq : ids.split(";")) {
      sequences.add(TokenIds.parse(spec, "--ids", seq));
    }
    try (NDManager manager = device.newBaseManager();
        AdaptedModel loaded = AdaptedModel.load(AdaptedModel.Source.of(model, adapter), manager,
            keep16Bit.resolve(true))) {
      LlamaModel m = loaded.model();
      TokenIds.checkVocabulary(spec, "--ids", sequences, m.config().vocabSize());
      PrintStream out = System.out;
      JsonGenerator g = Json.mapper().getFactory().createGenerator(out);
      g.writeStartArray();
      for (int[] seq : sequences) {
        float[][] rows = LogProbs.rows(m, seq, manager);
        g.writeStartArray();
        for (float[] row : rows) {
          g.writeStartArray();
          for (float f : row) {
            g.writeNumber(f);
          }
          g.writeEndArray();
        }
        g.writeEndArray();
      }
      g.writeEndArray();
      g.flush();
      out.println();
      return 0;
    }
  }
}
