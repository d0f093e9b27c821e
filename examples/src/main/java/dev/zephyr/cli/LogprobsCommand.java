package dev.zephyr.cli;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.zephyr.core.ZephyrException;
import dev.zephyr.core.generate.PromptFormatter;
import dev.zephyr.core.io.Json;
import dev.zephyr.core.model.LlamaModel;
import dev.zephyr.core.model.LogProbs;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code zephyr logprobs --model DIR --ids "1,5,9;1,42"}: per-position log-softmax rows of each sequence as one JSON
 * array {@code [sequence][position][vocab]}, the shape {@code torch_reference.py logits} prints.
 */
@Command(name = "logprobs", mixinStandardHelpOptions = true,
    description = "Print per-position log-softmax rows (JSON [sequence][position][vocab]) for token id sequences.")
public final class LogprobsCommand implements Callable<Integer> {
  @Option(names = "--model", required = true, description = "Hugging Face model directory") Path model;
  @Option(names = "--ids", required = true, description = "token ids: comma-separated, sequences separated by ';'")
  String ids;

  @Override
  public Integer call() throws Exception {
    List<int[]> sequences = new ArrayList<>();
    try {
      for (String seq : ids.split(";")) {
        sequences.add(PromptFormatter.parseIds(seq));
      }
    } catch (ZephyrException e) {
      System.err.println("error: --ids: " + e.getMessage());
      return 2;
    }
    try (NDManager manager = NDManager.newBaseManager(); LlamaModel m = LlamaModel.load(model, manager)) {
      int vocab = m.config().vocabSize();
      for (int[] seq : sequences) {
        for (int id : seq) {
          if (id >= vocab) {
            System.err.println("error: --ids: token id " + id + " is outside the vocabulary (vocab_size " + vocab + ")");
            return 2;
          }
        }
      }
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
    } catch (ZephyrException e) {
      System.err.println("error: " + e.getMessage());
      return 1;
    }
  }
}
