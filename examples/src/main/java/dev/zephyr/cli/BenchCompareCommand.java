package dev.zephyr.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.zephyr.core.InvalidInputException;
import dev.zephyr.core.io.Json;
import dev.zephyr.train.bench.BenchComparison;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code zephyr bench compare}: the arithmetic of {@code scripts/bench-vs-torch} ({@link BenchComparison}) over two
 * files of JSON lines, one per run, in the order the runs alternated.
 */
@Command(name = "compare", mixinStandardHelpOptions = true,
    description = {"Median ratio of tokens_per_s between zephyr's and torch_reference.py's bench lines (round i of"
        + " one file against round i of the other); exit code 3 and no ratio when the peer's gemm_gflops is under 50"
        + " or the two sides did not run the same tokens per step and threads."})
public final class BenchCompareCommand implements Callable<Integer> {
  /** Exit code when the runs do not support a ratio. */
  static final int REFUSED = 3;

  @Parameters(index = "0", paramLabel = "ZEPHYR_JSONL", description = "zephyr bench lines") Path zephyr;
  @Parameters(index = "1", paramLabel = "PEER_JSONL", description = "torch_reference.py bench lines") Path peer;

  @Override
  public Integer call() {
    BenchComparison c = new BenchComparison(jsonLines(zephyr), jsonLines(peer));
    c.report().forEach(System.out::println);
    return c.verdict().refused() ? REFUSED : 0;
  }

  /** The lines of {@code file} that are JSON objects (anything else a run printed is skipped). */
  static List<JsonNode> jsonLines(Path file) {
    List<JsonNode> out = new ArrayList<>();
    try {
      int n = 0;
      for (String line : Files.readAllLines(file)) {
        n++;
        if (line.startsWith("{")) {
          try {
            out.add(Json.mapper().readTree(line));
          } catch (IOException e) {
            throw new InvalidInputException(file.toString(), n, null, "not a JSON object: " + e.getMessage());
          }
        }
      }
    } catch (IOException e) {
      throw new InvalidInputException(file.toString(), 0, null, "cannot read: " + e.getMessage(), e);
    }
    return out;
  }
}
