package dev.zephyr.eval.mc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.zephyr.core.InvalidInputException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class McEvaluatorTest {

  /** Scores from a table keyed by continuation; counts batches. */
  static final class TableModel implements LoglikelihoodModel {
    final Map<String, Double> table;
    final List<Integer> batchSizes = new ArrayList<>();
    final List<LoglikelihoodRequest> seen = new ArrayList<>();

    TableModel(Map<String, Double> table) {
      this.table = table;
    }

    @Override
    public List<Loglikelihood> loglikelihood(List<LoglikelihoodRequest> requests) {
      batchSizes.add(requests.size());
      seen.addAll(requests);
      return requests.stream().map(r -> new Loglikelihood(table.get(r.continuation()), false)).toList();
    }
  }

  @Test
  void accAndLengthNormalisedAccAsTheHarnessComputesThem() {
    // item 1: raw argmax picks the short "no" (-2 vs -3), per-char picks "certainly" (-3/9 < -2/2): gold 1
    // item 2: both pick "blue"; gold 0
    // item 3: raw picks "cat" (gold), per-char picks "elephant" (-4/8 = -0.5 > -2/3)
    TableModel m = new TableModel(Map.of(" no", -2.0, " certainly", -3.0, " blue", -1.0, " red", -5.0,
        " cat", -2.0, " elephant", -4.0));
    List<McExample> ex = List.of(
        new McExample("Q1", List.of("no", "certainly"), 1),
        new McExample("Q2", List.of("blue", "red"), 0),
        new McExample("Q3", List.of("cat", "elephant"), 0));
    McEvaluator.Result r = new McEvaluator(m, 4).evaluate(ex);
    assertThat(r.acc()).isCloseTo(2.0 / 3, within(1e-12));
    assertThat(r.accNorm()).isCloseTo(2.0 / 3, within(1e-12));
    assertThat(r.perItem().get(0).predicted()).isEqualTo(0);
    assertThat(r.perItem().get(0).predictedNorm()).isEqualTo(1);
    assertThat(r.perItem().get(2).predictedNorm()).isEqualTo(1);
    // sample sd of (0, 1, 1) = sqrt(1/3); stderr = that / sqrt 3 = 1/3
    assertThat(r.accStderr()).isCloseTo(1.0 / 3, within(1e-12));
    // six requests in batches of four: 4 + 2; context and delimiter as lm-eval builds them
    assertThat(m.batchSizes).containsExactly(4, 2);
    assertThat(m.seen.get(1)).isEqualTo(new LoglikelihoodRequest("Q1", " certainly"));
  }

  @Test
  void normalisationCountsCodePointsAndBytes() {
    // "é" is 1 code point, 2 bytes; "ab" is 2 code points, 2 bytes
    TableModel m = new TableModel(Map.of(" \u00e9", -1.5, " ab", -2.5));
    McEvaluator.Result r = new McEvaluator(m, 8).evaluate(List.of(new McExample("c", List.of("\u00e9", "ab"), 1)));
    assertThat(r.accNorm()).isEqualTo(1.0); // -1.5/1 < -2.5/2
    assertThat(r.accBytes()).isEqualTo(0.0); // -1.5/2 > -2.5/2
    assertThat(r.acc()).isEqualTo(0.0);
  }

  @Test
  void readsJsonlTasksAndNamesBadLines(@TempDir Path tmp) throws Exception {
    Path f = tmp.resolve("arc.jsonl");
    Files.writeString(f, "{\"context\": \"Question: 2+2?\\nAnswer:\", \"choices\": [\"3\", \"4\"], \"gold\": 1}\n"
        + "{\"query\": \"Q\", \"choices\": [\"a\"], \"label\": 0}\n");
    List<McExample> ex = McTask.read(f);
    assertThat(ex).hasSize(2);
    assertThat(ex.get(0).gold()).isEqualTo(1);
    Files.writeString(f, "{\"context\": \"Q\", \"choices\": [\"a\", \"b\"], \"gold\": 2}\n");
    assertThatThrownBy(() -> McTask.read(f)).isInstanceOf(InvalidInputException.class)
        .hasMessageContaining(":1").hasMessageContaining("gold");
  }
}
