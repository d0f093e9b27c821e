package dev.zephyr.quickstart;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class RuleBasedJudgeTest {
  /** How MT-Bench extracts single-answer ratings. */
  private static final Pattern RATING = Pattern.compile("\\[\\[(\\d+\\.?\\d*)\\]\\]");
  private final Task add = InstructionWorld.parse("What is 37 plus 45?").orElseThrow();
  private final RuleBasedJudge judge = new RuleBasedJudge();

  private int rate(String question, String answer) {
    String reply = judge.chat(GradingPrompt.render(question, answer));
    Matcher m = RATING.matcher(reply);
    assertThat(m.find()).as(reply).isTrue();
    assertThat(reply).endsWith("Rating: [[" + m.group(1) + "]]");
    return (int) Double.parseDouble(m.group(1));
  }

  @Test
  void handCheckedGrades() {
    assertThat(rate(add.prompt(), "The answer is 82.")).isEqualTo(10);
    assertThat(rate(add.prompt(), "  The answer is 82.\n")).isEqualTo(10);
    // Correct and stated, with 30 characters of padding: 8.
    assertThat(rate(add.prompt(), "Let me think about this. Okay. The answer is 82.")).isEqualTo(8);
    // 101 extra characters: 8 - 101/40 = 6.
    String padding = "x".repeat(100);
    assertThat(rate(add.prompt(), padding + " The answer is 82.")).isEqualTo(6);
    // Very long padding bottoms out at 5.
    assertThat(rate(add.prompt(), "y".repeat(1000) + " The answer is 82.")).isEqualTo(5);
    assertThat(rate(add.prompt(), "82")).isEqualTo(6);
    assertThat(rate(add.prompt(), "answer: 82")).isEqualTo(6);
    assertThat(rate(add.prompt(), "I believe 82 might be it, or maybe 83")).isEqualTo(4);
    assertThat(rate(add.prompt(), "The answer is 83.")).isEqualTo(2);
    assertThat(rate(add.prompt(), "Well. The answer is 81. Sure.")).isEqualTo(1);
    assertThat(rate(add.prompt(), "")).isEqualTo(1);
    assertThat(rate(add.prompt(), "821")).isEqualTo(1);
    assertThat(rate("Reverse the letters of the word apple.", "The answer is elppa.")).isEqualTo(10);
    assertThat(rate("Reverse the letters of the word apple.", "The answer is apple.")).isEqualTo(2);
    assertThat(rate("Join the words sun and flower with a hyphen.", "sun")).isEqualTo(1);
  }

  @Test
  void readsFastChatStyleSingleAnswerPrompts() {
    String fastChatLayout = "[Instruction]\nPlease act as an impartial judge.\n\n[Question]\nWhat is 7 times 8?\n\n"
        + "[The Start of Assistant's Answer]\nThe answer is 56.\n[The End of Assistant's Answer]";
    assertThat(judge.chat(fastChatLayout)).endsWith("Rating: [[10]]");
  }

  @Test
  void givesNoRatingWhenItCannotGrade() {
    assertThat(judge.chat("Rate this: 82")).doesNotContain("[[");
    assertThat(judge.chat(GradingPrompt.render("Write a poem about the sea.", "Waves."))).doesNotContain("[[");
  }

  @Test
  void verdictReportsTheRubricFindings() {
    RuleBasedJudge.Verdict v = RuleBasedJudge.grade(add, "Sure thing! The answer is 82.");
    assertThat(v.correct()).isTrue();
    assertThat(v.inFormat()).isFalse();
    assertThat(v.extraChars()).isEqualTo("Sure thing! The answer is 82.".length() - "The answer is 82.".length());
  }
}
