package dev.zephyr.eval.harness;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.zephyr.core.InvalidInputException;
import dev.zephyr.core.progress.Progress;
import dev.zephyr.core.testing.TestData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad rows and splits fail with the file, the row and the field, before anything is scored. */
class HarnessBadInputTest {

  private static Path write(Path dir, String relative, String... lines) throws IOException {
    Path f = dir.resolve(relative);
    Files.createDirectories(f.getParent());
    Files.writeString(f, String.join("\n", lines) + "\n");
    return f;
  }

  private static HarnessData.Split read(Path root, String task, String split) {
    return new HarnessData(List.of(root), HarnessData.jsonlReader()).read(HarnessTasks.all().get(task), split);
  }

  @Test
  void aMissingFieldNamesFileRowAndField(@TempDir Path root) throws IOException {
    Path f = write(root, "ai2_arc/ARC-Challenge/test.jsonl",
        "{\"question\": \"Q1\", \"choices\": {\"text\": [\"a\", \"b\"], \"label\": [\"A\", \"B\"]}, \"answerKey\": \"A\"}",
        "{\"choices\": {\"text\": [\"a\", \"b\"], \"label\": [\"A\", \"B\"]}, \"answerKey\": \"B\"}");
    assertThatThrownBy(() -> read(root, "arc_challenge", "test")).isInstanceOf(InvalidInputException.class)
        .hasMessageContaining(f + ":2").hasMessageContaining("question");
  }

  @Test
  void anAnswerIndexOutOfRangeNamesFileAndRow(@TempDir Path root) throws IOException {
    Path f = write(root, "cais/mmlu/anatomy/test.jsonl",
        "{\"question\": \"Q\", \"subject\": \"anatomy\", \"choices\": [\"w\", \"x\", \"y\", \"z\"], \"answer\": 4}");
    assertThatThrownBy(() -> read(root, "mmlu_anatomy", "test")).isInstanceOf(InvalidInputException.class)
        .hasMessageContaining(f + ":1").hasMessageContaining("answer").hasMessageContaining("out of range");
    Path negative = write(root, "cais/mmlu/virology/test.jsonl",
        "{\"question\": \"Q\", \"choices\": [\"w\", \"x\", \"y\", \"z\"], \"answer\": 0}",
        "{\"question\": \"Q\", \"choices\": [\"w\", \"x\", \"y\", \"z\"], \"answer\": -1}");
    assertThatThrownBy(() -> read(root, "mmlu_virology", "test")).isInstanceOf(InvalidInputException.class)
        .hasMessageContaining(negative + ":2").hasMessageContaining("index -1 is out of range");
    Path arc = write(root, "ai2_arc/ARC-Easy/test.jsonl",
        "{\"question\": \"Q\", \"choices\": {\"text\": [\"a\", \"b\"], \"label\": [\"A\", \"B\"]}, \"answerKey\": \"E\"}");
    assertThatThrownBy(() -> read(root, "arc_easy", "test")).isInstanceOf(InvalidInputException.class)
        .hasMessageContaining(arc + ":1").hasMessageContaining("answerKey");
    Path hs = write(root, "hellaswag/validation.jsonl", "{\"activity_label\": \"A\", \"ctx_a\": \"x\","
        + " \"ctx_b\": \"y\", \"endings\": [\"e1\", \"e2\"], \"label\": \"\"}");
    assertThatThrownBy(() -> read(root, "hellaswag", "validation")).isInstanceOf(InvalidInputException.class)
        .hasMessageContaining(hs + ":1").hasMessageContaining("label");
  }

  @Test
  void aFewshotSplitSmallerThanTheShotsNamesItsFile() {
    HarnessData data = new HarnessData(List.of(TestData.path("lm_eval")), HarnessData.jsonlReader());
    HarnessTask arc = HarnessTasks.all().get("arc_challenge");
    HarnessData.Split train = data.read(arc, "train");
    HarnessEvaluator evaluator = new HarnessEvaluator(new FakeLoglikelihoods(Map.of(), -1), 4);
    // 6 training questions: 25-shot cannot be drawn
    assertThatThrownBy(() -> evaluator.evaluate(arc, data.read(arc, "test"), train, 25, null, Progress.NONE))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining(train.source())
        .hasMessageContaining("6 documents, fewer than the 25");
    // HellaSwag draws k + 1: 5 training rows are too few for 5-shot
    HarnessTask hellaswag = HarnessTasks.all().get("hellaswag");
    assertThatThrownBy(() -> evaluator.evaluate(hellaswag, data.read(hellaswag, "validation"),
        data.read(hellaswag, "train"), 5, null, Progress.NONE))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("fewer than the 6");
  }

  @Test
  void aMissingSplitSaysWhereItLooked(@TempDir Path root) {
    assertThatThrownBy(() -> read(root, "truthfulqa_mc2", "validation")).isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("no validation split for truthfulqa_mc2")
        .hasMessageContaining("truthful_qa");
  }

  @Test
  void anUnknownTaskIsNamed() {
    assertThatThrownBy(() -> HarnessTasks.resolve(List.of("arc_challenge", "hellaswagg")))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("hellaswagg");
  }

  @Test
  void aBadRowInTheLastTaskFailsBeforeAnythingIsScored(@TempDir Path root) throws IOException {
    Path arc = root.resolve("ai2_arc/ARC-Challenge");
    Files.createDirectories(arc);
    Files.copy(TestData.path("lm_eval", "ai2_arc", "ARC-Challenge", "test.jsonl"), arc.resolve("test.jsonl"));
    Path bad = write(root, "truthful_qa/multiple_choice/validation.jsonl",
        "{\"question\": \"Q\", \"mc2_targets\": {\"choices\": [\"t\", \"f\"], \"labels\": [1, 1]}}");
    HarnessRun.Config config = new HarnessRun.Config(List.of("arc_challenge", "truthfulqa_mc2"), List.of(root), 0,
        null, 4, root.resolve("results.json"), root.resolve("cache.jsonl"), "fake", "fake");
    assertThatThrownBy(() -> HarnessRun.prepare(config, HarnessData.jsonlReader()))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining(bad + ":1")
        .hasMessageContaining("mc2_targets.labels");
    assertThat(root.resolve("cache.jsonl")).doesNotExist();
  }
}
