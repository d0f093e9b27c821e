package dev.zephyr.data.clean;

import static org.assertj.core.api.Assertions.assertThat;

import dev.zephyr.core.testing.TestData;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class DecontaminatorTest {
  static List<EvalPrompts.EvalPrompt> evalPrompts() {
    List<EvalPrompts.EvalPrompt> all = new ArrayList<>(EvalPrompts.mtBench(TestData.path("mt_bench", "question.jsonl")));
    all.addAll(EvalPrompts.alpacaEval(TestData.path("alpaca_eval", "reference_outputs_gpt4_1106_preview.json")));
    return all;
  }

  @Test
  void readsTheBenchmarks() {
    List<EvalPrompts.EvalPrompt> mt = EvalPrompts.mtBench(TestData.path("mt_bench", "question.jsonl"));
    assertThat(mt).hasSize(160); // 80 questions x 2 turns
    assertThat(mt.get(0).source()).isEqualTo("mt_bench:81:1");
    List<EvalPrompts.EvalPrompt> ae = EvalPrompts.alpacaEval(
        TestData.path("alpaca_eval", "reference_outputs_gpt4_1106_preview.json"));
    assertThat(ae).hasSize(805);
    assertThat(ae.get(0).text())
        .isEqualTo("What are the names of some famous actors that started their careers on Broadway?");
  }

  @Test
  void aQuestionWithoutTurnsIsNamedByItsFileLine(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp)
      throws Exception {
    java.nio.file.Path q = tmp.resolve("question.jsonl");
    java.nio.file.Files.writeString(q, "{\"question_id\": 1, \"turns\": [\"Hi?\"]}\n\n{\"question_id\": 2}\n");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> EvalPrompts.mtBench(q))
        .isInstanceOf(dev.zephyr.core.InvalidInputException.class).hasMessageContaining("question.jsonl:3");
  }

  @Test
  void plantedContaminationIsFoundAndCleanPromptsPass() {
    Decontaminator d = new Decontaminator(evalPrompts(), 8, 5);
    // MT-Bench 81 turn 1, wrapped in other words and re-punctuated
    assertThat(d.match("Hey! Please COMPOSE an engaging travel blog post about a recent trip to Hawaii - thanks."))
        .contains("mt_bench:81:1");
    assertThat(d.match("Quick one: what are the names of some famous actors that started their careers on "
        + "broadway")).contains("alpaca_eval:0");
    assertThat(d.match("How do volcanoes form and why do some of them erupt explosively?")).isEmpty();
    // seven shared words are not enough at n = 8
    assertThat(d.match("compose an engaging travel blog post about cooking")).isEmpty();
  }
}
