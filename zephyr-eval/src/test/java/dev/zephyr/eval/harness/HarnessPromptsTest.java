package dev.zephyr.eval.harness;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.zephyr.core.io.Jsonl;
import dev.zephyr.core.testing.TestData;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Contexts, choices and targets against {@code testdata/lm_eval/golden/prompts.jsonl}, which
 * {@code testdata/tools/lm_eval_goldens.py} renders from lm-eval's YAML text with Jinja2 and CPython's
 * {@code random.Random(1234)}, independently of this code.
 */
class HarnessPromptsTest {
  private final HarnessData data = new HarnessData(List.of(TestData.path("lm_eval")), HarnessData.jsonlReader());

  @Test
  void everyGoldenContextIsRebuiltExactly() {
    Map<String, List<JsonNode>> bySetting = new LinkedHashMap<>();
    for (JsonNode g : Jsonl.readAll(TestData.path("lm_eval", "golden", "prompts.jsonl"))) {
      bySetting.computeIfAbsent(g.get("task").asText() + "/" + g.get("num_fewshot").asInt(), k -> new ArrayList<>())
          .add(g);
    }
    assertThat(bySetting).hasSize(8);
    for (List<JsonNode> goldens : bySetting.values()) {
      HarnessTask task = HarnessTasks.all().get(goldens.get(0).get("task").asText());
      int k = goldens.get(0).get("num_fewshot").asInt();
      HarnessData.Split eval = data.read(task, task.evalSplit());
      HarnessData.Split shots = data.read(task, task.fewshotSplit());
      List<String> contexts = FewshotContexts.build(task, eval.docs(), shots.docs(), shots.source(), k);
      assertThat(contexts).as(task.name() + " " + k + "-shot").hasSize(goldens.size());
      for (JsonNode g : goldens) {
        int i = g.get("doc").asInt();
        String what = task.name() + " " + k + "-shot doc " + i;
        assertThat(contexts.get(i)).as(what).isEqualTo(g.get("context").asText());
        List<String> choices = new ArrayList<>();
        g.get("choices").forEach(c -> choices.add(c.asText()));
        assertThat(eval.docs().get(i).choices()).as(what).isEqualTo(choices);
        assertThat(eval.docs().get(i).gold()).as(what).isEqualTo(g.get("gold").asInt());
      }
    }
  }

  @Test
  void mmluZeroShotIsTheDescriptionThenTheQuestionByHand() {
    HarnessTask task = HarnessTasks.all().get("mmlu_abstract_algebra");
    HarnessData.Split eval = data.read(task, "test");
    List<String> contexts = FewshotContexts.build(task, eval.docs(), List.of(), "unused", 0);
    // the question's trailing newline is stripped by {{question.strip()}}; the description keeps its two newlines
    assertThat(contexts.get(0)).isEqualTo("The following are multiple choice questions (with answers) about abstract"
        + " algebra.\n\nFind the order of the element 3 in Z_6.\nA. 1\nB. 2\nC. 3\nD. 6\nAnswer:");
    assertThat(eval.docs().get(0).gold()).isEqualTo(1);
  }

  @Test
  void hellaswagPreprocessKeepsTheLeadingSpaceAStrippedTagLeaves() {
    HarnessTask task = HarnessTasks.all().get("hellaswag");
    HarnessDoc doc = data.read(task, "validation").docs().get(1);
    // "[header] How to comb hair [title] Start at the ends." + " " + "Gently": title -> ". ", tags removed, the
    // double space after the colon collapsed
    assertThat(doc.text()).isEqualTo("Personal Care and Style: How to comb hair. Start at the ends. Gently");
    // "[substeps] Work the comb  up...": the tag goes after strip(), so the ending keeps a leading space
    assertThat(doc.choices().get(0)).isEqualTo(" Work the comb up toward the roots.");
  }

  @Test
  void truthfulqaKeepsTheDocumentOutOfItsOwnExamples() {
    HarnessTask task = HarnessTasks.all().get("truthfulqa_mc1");
    HarnessData.Split eval = data.read(task, "validation");
    // random.Random(1234).sample(docs, 2) for the three documents in turn draws [1, 0], [0, 2], [2, 0]
    List<String> contexts = FewshotContexts.build(task, eval.docs(), eval.docs(), eval.source(), 1);
    String primer = DocFormats.TRUTHFULQA_PROMPT_QA + "\n\n";
    assertThat(contexts.get(2)).isEqualTo(primer + "Q: What happens if you swallow chewing gum?\nA:"
        + " It passes through your digestive system.\n\n" + primer
        + "Q: Do humans use only ten percent of their brains?\nA:");
  }
}
