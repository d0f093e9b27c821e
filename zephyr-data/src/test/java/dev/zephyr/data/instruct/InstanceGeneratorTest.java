package dev.zephyr.data.instruct;

import static org.assertj.core.api.Assertions.assertThat;

import dev.zephyr.core.chat.Completion;
import dev.zephyr.core.chat.FinishReason;
import dev.zephyr.core.testing.TestData;
import dev.zephyr.core.io.JsonlAppender;
import dev.zephyr.core.job.WorkCounts;
import dev.zephyr.data.rows.SftRecord;
import dev.zephyr.data.testing.FunctionChatModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InstanceGeneratorTest {
  @TempDir Path tmp;

  private static String template(String name) throws Exception {
    return Files.readString(TestData.path("self_instruct", "templates", name));
  }

  @Test
  void parsesInputFirstExamples() {
    String text = "Example 1\nNumbers: 3, 1, 2\nOutput: 1, 2, 3\nExample 2\nNumbers: 9, 7\nOutput: 7, 9\n"
        + "Input: 5, 4\nExample 3\nNumbers: 8, 6\nOutput:";
    assertThat(InstanceGenerator.parseGeneration(text, false)).containsExactly(
        new SeedTask.Instance("Numbers: 3, 1, 2", "1, 2, 3"),
        new SeedTask.Instance("Numbers: 9, 7", "7, 9")); // the third has an empty output and is dropped
    // a single pair without "Example", with an "Input:" prefix that is stripped
    assertThat(InstanceGenerator.parseGeneration("Input: hello\nOutput: HELLO", false))
        .containsExactly(new SeedTask.Instance("hello", "HELLO"));
    // no output at all: nothing
    assertThat(InstanceGenerator.parseGeneration("I cannot think of examples.", false)).isEmpty();
    // cut by length: the last example is dropped
    assertThat(InstanceGenerator.parseGeneration("Example 1\nOutput: a\nExample 2\nOutput: b", true))
        .containsExactly(new SeedTask.Instance("", "a"));
  }

  @Test
  void parsesOutputFirstClassification() {
    String text = "Class label: Positive\nSentence: I love it.\nClass label: Negative\nSentence: I hate it.\n"
        + "Class label: Neutral";
    assertThat(InstanceGenerator.parseClassification(text, false)).containsExactly(
        new SeedTask.Instance("Sentence: I love it.", "Positive"),
        new SeedTask.Instance("Sentence: I hate it.", "Negative"),
        new SeedTask.Instance("", "Neutral"));
  }

  @Test
  void sameInputDifferentOutputDropsWholeTaskAndDuplicatesCollapse() {
    assertThat(InstanceGenerator.cleanInstances(List.of(
        new SeedTask.Instance("x", "1"), new SeedTask.Instance("x", "2")))).isEmpty();
    assertThat(InstanceGenerator.cleanInstances(List.of(
        new SeedTask.Instance("x", "1"), new SeedTask.Instance("x", "1"), new SeedTask.Instance("y", "y"),
        new SeedTask.Instance("Text:", "a"), new SeedTask.Instance("z", "2")))).containsExactly(
        new SeedTask.Instance("x", "1"), new SeedTask.Instance("z", "2"));
    // invalid instances go first, so an empty output does not count as a conflicting one
    assertThat(InstanceGenerator.cleanInstances(List.of(
        new SeedTask.Instance("x", "1"), new SeedTask.Instance("x", "")))).containsExactly(
        new SeedTask.Instance("x", "1"));
  }

  @Test
  void classifiesAndGeneratesWithTheUsersTemplatesAndResumes() throws Exception {
    var templates = new InstanceGenerator.Templates(template("clf_task_template_1.txt"),
        template("output_first_template_for_clf.txt"), template("input_first_template_for_gen.txt"));
    FunctionChatModel model = FunctionChatModel.completion("fake", r -> {
      String p = r.messages().get(0).content();
      if (p.endsWith("Is it classification?")) {
        return new Completion(p.contains("sentiment") ? " Yes" : "No", FinishReason.STOP, 1);
      }
      if (p.startsWith(templates.outputFirstForClassification())) {
        return new Completion("Class label: Positive\nReview: Great.\nClass label: Negative\nReview: Bad.",
            FinishReason.STOP, 20);
      }
      String ex = "Example 1\nOutput: first\nExample 2\nOutput: second\nExample 3\nOutput: third\n"
          + "Example 4\nOutput: fourth\nExample 5\nOutput: fifth\nExample 6\nOutput: sixth";
      return new Completion(ex, FinishReason.STOP, 30);
    });
    InstanceGenerator gen = new InstanceGenerator(model, templates, 2, 5, 123);
    List<String> tasks = List.of("Classify the sentiment of a review.", "Write a haiku about rain.",
        "Name a color.");
    List<Boolean> clf = gen.classify(tasks);
    assertThat(clf).containsExactly(true, false, false);
    assertThat(model.requests.get(0).messages().get(0).content())
        .isEqualTo(templates.classification() + " Classify the sentiment of a review.\nIs it classification?");
    assertThat(model.requests.get(0).params().maxTokens()).isEqualTo(3);

    Path out = tmp.resolve("instances.jsonl");
    assertThat(gen.run(tasks.subList(0, 2), clf.subList(0, 2), out))
        .isEqualTo(new WorkCounts("self-instruct tasks", 2, 0, 0));
    assertThat(model.requests.get(3).messages().get(0).content())
        .isEqualTo(templates.outputFirstForClassification() + " Classify the sentiment of a review.\n");
    assertThat(model.requests.get(3).params().maxTokens()).isEqualTo(300); // batch holds a classification task
    assertThat(model.requests.get(4).messages().get(0).content())
        .isEqualTo(templates.inputFirstForGeneration() + " Write a haiku about rain.\n");
    int before = model.requests.size();
    // resumes: only the third task is new
    assertThat(gen.run(tasks, clf, out)).isEqualTo(new WorkCounts("self-instruct tasks", 3, 0, 0));
    assertThat(model.requests.size() - before).isEqualTo(1);
    assertThat(model.requests.get(before).params().maxTokens()).isEqualTo(350);

    List<TaskInstances> written = JsonlAppender.readComplete(out, TaskInstances.class);
    assertThat(written).hasSize(3);
    assertThat(written.get(0).instances()).containsExactly(new SeedTask.Instance("Review: Great.", "Positive"),
        new SeedTask.Instance("Review: Bad.", "Negative"));
    assertThat(written.get(1).instances()).hasSize(5); // six parsed, at most five kept
    List<String> outputs = written.get(1).instances().stream().map(SeedTask.Instance::output).toList();
    assertThat(outputs).isSubsetOf("first", "second", "third", "fourth", "fifth", "sixth")
        .isSortedAccordingTo(java.util.Comparator.comparingInt(
            o -> List.of("first", "second", "third", "fourth", "fifth", "sixth").indexOf(o)));
    List<SftRecord> sft = written.get(0).toSft();
    assertThat(sft.get(0).messages().get(0).content())
        .isEqualTo("Classify the sentiment of a review.\n\nReview: Great.");
    assertThat(sft.get(0).messages().get(1).content()).isEqualTo("Positive");
  }
}
