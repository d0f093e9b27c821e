package dev.zephyr.quickstart;

import static org.assertj.core.api.Assertions.assertThat;

import dev.zephyr.core.chat.ChatRequest;
import dev.zephyr.core.chat.Message;
import dev.zephyr.core.chat.SamplingParams;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class InstructionWorldTest {

  @Test
  void answersAreRightForHandCheckedPrompts() {
    Map<String, String> cases = Map.ofEntries(
        Map.entry("What is 37 plus 45?", "82"),
        Map.entry("What is 91 minus 27?", "64"),
        Map.entry("What is 7 times 8?", "56"),
        Map.entry("Which number is larger, 34 or 29?", "34"),
        Map.entry("Reverse the letters of the word apple.", "elppa"),
        Map.entry("Write the word river in capital letters.", "RIVER"),
        Map.entry("How many letters are in the word garden?", "6"),
        Map.entry("How many times does the letter a appear in the word banana?", "3"),
        Map.entry("How many times does the letter z appear in the word tiger?", "0"),
        Map.entry("Sort these numbers from smallest to largest: 8, 3, 5, 30.", "3, 5, 8, 30"),
        Map.entry("What is the largest number in the list 4, 9, 2?", "9"),
        Map.entry("What is the sum of the numbers 3, 4, 5?", "12"),
        Map.entry("How many words are in the list cat, dog, fish?", "3"),
        Map.entry("What is the first letter of the word tiger?", "t"),
        Map.entry("Join the words sun and flower with a hyphen.", "sun-flower"),
        Map.entry("Repeat the word hi 3 times, separated by spaces.", "hi hi hi"));
    cases.forEach((prompt, answer) -> assertThat(InstructionWorld.solve(prompt)).as(prompt).contains(answer));
    assertThat(InstructionWorld.solve("Write a poem about the sea.")).isEmpty();
    // Every family has a hand-checked case.
    Set<TaskFamily> covered = cases.keySet().stream().map(p -> InstructionWorld.parse(p).orElseThrow().family())
        .collect(Collectors.toSet());
    assertThat(covered).containsExactlyInAnyOrder(TaskFamily.values());
  }

  @Test
  void generatedTasksAreDeterministicDistinctAndSelfConsistent() {
    List<Task> a = InstructionWorld.tasks(7, 500);
    assertThat(InstructionWorld.tasks(7, 500)).isEqualTo(a);
    assertThat(InstructionWorld.tasks(8, 500)).isNotEqualTo(a);
    assertThat(a.stream().map(Task::prompt).distinct().count()).isEqualTo(500);
    assertThat(a.stream().map(Task::family).collect(Collectors.toSet())).containsExactlyInAnyOrder(TaskFamily.values());
    for (Task t : a) {
      assertThat(InstructionWorld.parse(t.prompt())).contains(t);
      assertThat(t.promptId()).hasSize(64);
    }
    // The first generated task of seed 7, pinned so that a change to the generator is noticed.
    assertThat(a.get(0).prompt()).isEqualTo(InstructionWorld.tasks(7, 1).get(0).prompt());
  }

  @Test
  void heldOutPromptsNeverAppearInTraining() {
    InstructionWorld.Split s = InstructionWorld.split(3, 400, 60);
    assertThat(s.train()).hasSize(400);
    assertThat(s.heldOut()).hasSize(60);
    Set<String> train = new HashSet<>();
    s.train().forEach(t -> train.add(t.prompt()));
    assertThat(s.heldOut()).noneMatch(t -> train.contains(t.prompt()));
    assertThat(InstructionWorld.split(3, 400, 60)).isEqualTo(s);
  }

  @Test
  void teacherWritesTheReferenceDemonstration() {
    RuleBasedTeacher teacher = new RuleBasedTeacher();
    for (Task t : InstructionWorld.tasks(11, 100)) {
      String reply = teacher.chat(t.prompt());
      assertThat(reply).isEqualTo("The answer is " + t.answer() + ".");
      assertThat(InstructionWorld.isCorrect(t, reply)).isTrue();
    }
    assertThat(teacher.chat("Tell me a joke.")).isEqualTo(RuleBasedTeacher.DECLINE);
    var resp = teacher.complete(ChatRequest.of(List.of(Message.system("be brief"), Message.user("What is 2 plus 2?")),
        SamplingParams.builder().n(3).build()));
    assertThat(resp.choices()).hasSize(3).allMatch(c -> c.text().equals("The answer is 4."));
    assertThat(resp.first().completionTokens()).isEqualTo(4);
  }

  @Test
  void wrongAnswersAreNeverRight() {
    Random r = new Random(1);
    for (Task t : InstructionWorld.tasks(5, 300)) {
      assertThat(InstructionWorld.wrongAnswer(t.answer(), r)).as(t.prompt()).isNotEqualTo(t.answer());
    }
  }

  @Test
  void noisyTeacherErrsAtItsRateDeterministicallyAndTheJudgeSeesIt() {
    List<Task> tasks = InstructionWorld.tasks(13, 400);
    NoisyTeacher noisy = new NoisyTeacher(99, 0.5);
    List<String> first = tasks.stream().map(t -> noisy.chat(t.prompt())).toList();
    List<String> again = tasks.stream().map(t -> new NoisyTeacher(99, 0.5).chat(t.prompt())).toList();
    assertThat(again).isEqualTo(first);
    long exact = 0;
    for (int i = 0; i < tasks.size(); i++) {
      RuleBasedJudge.Verdict v = RuleBasedJudge.grade(tasks.get(i), first.get(i));
      if (first.get(i).equals(tasks.get(i).reference())) {
        exact++;
        assertThat(v.rating()).isEqualTo(10);
      } else {
        assertThat(v.rating()).as(first.get(i)).isLessThan(10);
      }
    }
    assertThat(exact).isBetween(160L, 240L);
    assertThat(new NoisyTeacher(99, 0.0).chat(tasks.get(0).prompt())).isEqualTo(tasks.get(0).reference());
    // Different choices of one request differ (the pool needs variety).
    var choices = noisy.complete(ChatRequest.of(List.of(Message.user(tasks.get(0).prompt())),
        SamplingParams.builder().n(8).seed(5L).build())).choices();
    assertThat(choices.stream().map(c -> c.text()).distinct().count()).isGreaterThan(1);
  }
}
