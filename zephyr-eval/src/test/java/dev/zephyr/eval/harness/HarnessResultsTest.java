package dev.zephyr.eval.harness;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.zephyr.eval.report.LmEvalTable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class HarnessResultsTest {

  private static TaskResult result(String name, int n, int shots, Map<String, Double> means,
      Map<String, Double> stderrs) {
    return new TaskResult(HarnessTasks.all().get(name), n, n, shots, means, stderrs, List.of());
  }

  @Test
  void aTaskRowHasLmEvalsKeys() {
    Map<String, Double> means = new LinkedHashMap<>();
    means.put("acc", 0.25);
    means.put("acc_norm", 0.5);
    Map<String, Double> ses = new LinkedHashMap<>();
    ses.put("acc", 0.125);
    ses.put("acc_norm", 0.0625);
    ObjectNode json = HarnessResults.toJson(List.of(result("arc_challenge", 4, 25, means, ses),
        result("truthfulqa_mc2", 1, 0, Map.of("acc", 0.6), Map.of("acc", Double.NaN))),
        Map.of("model", "zephyr", "batch_size", 8));
    JsonNode arc = json.get("results").get("arc_challenge");
    assertThat(arc.get("alias").asText()).isEqualTo("arc_challenge");
    assertThat(arc.get("acc,none").asDouble()).isEqualTo(0.25);
    assertThat(arc.get("acc_stderr,none").asDouble()).isEqualTo(0.125);
    assertThat(arc.get("acc_norm,none").asDouble()).isEqualTo(0.5);
    assertThat(json.get("results").get("truthfulqa_mc2").get("acc_stderr,none").asText()).isEqualTo("N/A");
    assertThat(json.get("versions").get("truthfulqa_mc2").asDouble()).isEqualTo(2.0);
    assertThat(json.get("n-shot").get("arc_challenge").asInt()).isEqualTo(25);
    assertThat(json.get("n-samples").get("arc_challenge").get("effective").asInt()).isEqualTo(4);
    assertThat(json.get("configs").get("arc_challenge").get("dataset_name").asText()).isEqualTo("ARC-Challenge");
    assertThat(json.get("configs").get("arc_challenge").get("fewshot_split").asText()).isEqualTo("train");
    assertThat(json.get("config").get("batch_size").asInt()).isEqualTo(8);
    assertThat(json.get("groups").isEmpty()).isTrue();

    // lm-eval's make_table layout, four decimals, N/A kept
    String table = LmEvalTable.render(json, "results.json");
    assertThat(table).isEqualTo("""
        | Tasks | Version | Filter | n-shot | Metric |  | Value |  | Stderr |
        | :--- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
        | arc_challenge | 1.0 | none | 25 | acc | ↑ | 0.2500 | ± | 0.1250 |
        |  |  | none | 25 | acc_norm | ↑ | 0.5000 | ± | 0.0625 |
        | truthfulqa_mc2 | 2.0 | none | 0 | acc | ↑ | 0.6000 | ± | N/A |
        """);
  }

  @Test
  void allOfMmluGivesCategoryGroupsAndTheMacroAverage() {
    // every subject: 10 documents, acc 0.5 (five right: sample sd sqrt(2.5 / 9), stderr 1/6); abstract_algebra: 30
    // documents, all right (stderr 0)
    List<TaskResult> results = new ArrayList<>();
    for (String subject : HarnessTasks.MMLU_SUBJECTS.keySet()) {
      boolean special = subject.equals("abstract_algebra");
      results.add(result("mmlu_" + subject, special ? 30 : 10, 5, Map.of("acc", special ? 1.0 : 0.5),
          Map.of("acc", special ? 0.0 : 1.0 / 6)));
    }
    JsonNode json = HarnessResults.toJson(results, Map.of());
    long stem = HarnessTasks.MMLU_SUBJECTS.values().stream().filter("stem"::equals).count();
    JsonNode stemRow = json.get("groups").get("mmlu_stem");
    // ((stem - 1) * 10 * 0.5 + 30) / ((stem - 1) * 10 + 30)
    assertThat(stemRow.get("acc,none").asDouble())
        .isCloseTo(((stem - 1) * 5.0 + 30) / ((stem - 1) * 10.0 + 30), within(1e-12));
    // pooled: sum (n - 1) se^2 n = (stem - 1) * 9 / 36 * 10; / (N - k); / N
    double stemN = (stem - 1) * 10.0 + 30;
    assertThat(stemRow.get("acc_stderr,none").asDouble())
        .isCloseTo(Math.sqrt((stem - 1) * 2.5 / (stemN - stem) / stemN), within(1e-12));
    JsonNode mmlu = json.get("results").get("mmlu");
    // weighted: (56 * 5 + 30) / 590; macro: (56 * 0.5 + 1) / 57
    assertThat(mmlu.get("acc,none").asDouble()).isCloseTo(310.0 / 590, within(1e-12));
    assertThat(mmlu.get("acc_macro,none").asDouble()).isCloseTo(29.0 / 57, within(1e-12));
    assertThat(json.get("group_subtasks").get("mmlu"))
        .extracting(JsonNode::asText)
        .containsExactly("mmlu_humanities", "mmlu_other", "mmlu_social_sciences", "mmlu_stem");
    assertThat(json.get("results").get("mmlu_stem").get("alias").asText()).isEqualTo(" - stem");
    assertThat(json.get("results").get("mmlu_abstract_algebra").get("alias").asText())
        .isEqualTo("  - abstract algebra");
    List<String> order = new ArrayList<>();
    json.get("results").fieldNames().forEachRemaining(order::add);
    assertThat(order.get(0)).isEqualTo("mmlu");
    assertThat(order.get(1)).isEqualTo("mmlu_humanities");
    assertThat(order).hasSize(57 + 5);
    assertThat(LmEvalTable.render(json, "r.json")).contains("| Groups |").contains("| mmlu | N/A | none |  | acc |")
        .contains("| acc_macro | ↑ | 0.5088 |");
  }

  @Test
  void partOfMmluHasNoGroup() {
    JsonNode json = HarnessResults.toJson(List.of(result("mmlu_anatomy", 10, 5, Map.of("acc", 0.3),
        Map.of("acc", 0.1))), Map.of());
    assertThat(json.get("groups").isEmpty()).isTrue();
    assertThat(json.get("results").get("mmlu_anatomy").get("alias").asText()).isEqualTo("anatomy");
  }
}
