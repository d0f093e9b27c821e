package dev.zephyr.data.feedback;

import static org.assertj.core.api.Assertions.assertThat;

import dev.zephyr.core.chat.Message;
import dev.zephyr.core.chat.Role;
import dev.zephyr.core.testing.TestData;
import dev.zephyr.data.rows.RatingRecord.AspectRating;
import dev.zephyr.data.feedback.UltraFeedbackRubric.Aspect;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RubricParsingTest {

  @Test
  void overallRatingIsParsedTheMtBenchWay() {
    assertThat(OverallRubric.parseRating("Solid.\nRating: [[7]]", 1, 10).value()).isEqualTo(7.0);
    assertThat(OverallRubric.parseRating("Rating: [[8.5]] and later [[2]]", 1, 10).value()).isEqualTo(8.5);
    // the single-bracket backup is only used when no double-bracket rating exists
    assertThat(OverallRubric.parseRating("I give it [6].", 1, 10).value()).isEqualTo(6.0);
    assertThat(OverallRubric.parseRating("see [3] but Rating: [[9]]", 1, 10).value()).isEqualTo(9.0);
    assertThat(OverallRubric.parseRating("Rating: 7/10", 1, 10).error()).contains("no [[rating]]");
    assertThat(OverallRubric.parseRating("Rating: [[11]]", 1, 10).error()).contains("outside 1..10");
    assertThat(OverallRubric.parseRating("Rating: [[0]]", 1, 10).ok()).isFalse();
  }

  @Test
  void defaultRubricIsOurOwnAndFillsBothPlaceholdersOnce() {
    OverallRubric r = OverallRubric.defaults();
    List<Message> m = r.messages("Say {completion}", "I said {instruction}");
    assertThat(m).hasSize(2);
    assertThat(m.get(0).role()).isEqualTo(Role.SYSTEM);
    String user = m.get(1).content();
    assertThat(user).contains("[User request]\nSay {completion}\n").contains("[Assistant answer]\nI said {instruction}")
        .contains("Rating: [[N]]");
  }

  private static UltraFeedbackRubric official() {
    return UltraFeedbackRubric.load(TestData.path("ultrafeedback", "templates"));
  }

  @Test
  void officialTemplatesLoadAndShowFourTexts() {
    UltraFeedbackRubric uf = official();
    assertThat(uf.texts()).isEqualTo(4);
    List<Message> m = uf.messages(Aspect.HONESTY, "What is 2+2?", List.of("4", "5", "four", "{text_1}"));
    assertThat(m.get(0).content()).startsWith("Your role is to evaluate text quality");
    assertThat(m.get(1).content()).startsWith("# Honesty and Uncertainty Expression Assessment")
        .contains("Instruction: What is 2+2?\n\nTexts:\n<text 1> 4\n<text 2> 5\n<text 3> four\n<text 4> {text_1}\n");
  }

  @Test
  void parsesHeadedAndBlankLineSeparatedAnswers() {
    UltraFeedbackRubric uf = official();
    String headed = """
        #### Output for Text 1
        Rating: 4
        Rationale: Mostly aligned.

        #### Output for Text 2
        Rating: N/A
        Rationale: Creative writing.

        #### Output for Text 3
        Rating: 5 (Comprehensive Compliance)
        Rationale: Perfect.

        #### Output for Text 4
        Rating: 1
        Rationale: Off topic.""";
    List<AspectRating> r = uf.parse(Aspect.HONESTY, headed).value();
    assertThat(r).extracting(AspectRating::rating).containsExactly("4", "N/A", "5", "1");
    assertThat(r.get(0).rationale()).isEqualTo("Mostly aligned.");

    String typed = """
        Type: 1, 2
        Rationale: Clear and useful.
        Rating: 4
        Rationale: Informative.

        Type: None
        Rationale: Nothing.
        Rating: 2
        Rationale: Wrong.

        Type: [3]
        Rationale: Short.
        Rating: 3
        Rationale: Correct.

        Type: 1
        Rationale: Relevant.
        Rating: 5
        Rationale: Excellent.""";
    List<AspectRating> t = uf.parse(Aspect.HELPFULNESS, typed).value();
    assertThat(t).extracting(AspectRating::rating).containsExactly("4", "2", "3", "5");
    assertThat(t.get(0).type()).containsExactly("1", "2");
    assertThat(t.get(1).type()).containsExactly("None");
    assertThat(t.get(3).rationaleForRating()).isEqualTo("Excellent.");
  }

  @Test
  void rejectsAnswersThatCannotBeTrusted() {
    UltraFeedbackRubric uf = official();
    assertThat(uf.parse(Aspect.HONESTY, "Rating: 4\nRationale: a\n\nRating: 3\nRationale: b").error())
        .contains("expected 4 annotation blocks, found 2");
    String outOfRange = "Rating: 4\nRationale: a\n\nRating: 9\nRationale: b\n\nRating: 3\nRationale: c\n\n"
        + "Rating: 2\nRationale: d";
    assertThat(uf.parse(Aspect.INSTRUCTION_FOLLOWING, outOfRange).error()).contains("rating 9 outside 1..5");
    assertThat(uf.parse(Aspect.TRUTHFULNESS, "Rating: 4\nRationale: a\n\nRating: 1\nRationale: b\n\n"
        + "Rating: 3\nRationale: c\n\nRating: 2\nRationale: d").error()).contains("truthfulness format");
  }

  @Test
  void fineGrainedScoreExcludesNotApplicable() {
    Map<String, AspectRating> a = new LinkedHashMap<>();
    a.put("instruction_following", new AspectRating("4", "r", null, null));
    a.put("honesty", new AspectRating("N/A", "r", null, null));
    a.put("truthfulness", new AspectRating("5", "r", List.of("None"), "r"));
    a.put("helpfulness", new AspectRating("3", "r", List.of("1"), "r"));
    assertThat(UltraFeedbackRubric.fineGrainedScore(a)).isEqualTo(4.0);
  }

  @Test
  void principlesFollowTheReleasedCodeMix() {
    Principles p = Principles.load(TestData.path("ultrafeedback", "principles_system_prompts.json"));
    java.util.Random random = new java.util.Random(1);
    Map<String, Integer> counts = new java.util.TreeMap<>();
    for (int i = 0; i < 20_000; i++) {
      counts.merge(p.sample("flan", random).principle(), 1, Integer::sum);
    }
    assertThat(counts.keySet()).containsExactly("helpfulness", "verbalized_calibration");
    assertThat(counts.get("helpfulness") / 20_000.0).isBetween(0.78, 0.82);
    counts.clear();
    for (int i = 0; i < 20_000; i++) {
      counts.merge(p.sample("truthful_qa", random).principle(), 1, Integer::sum);
    }
    // honesty 0.5 * 0.9, truthfulness 0.5, verbalized calibration 0.5 * 0.1
    assertThat(counts.get("honesty") / 20_000.0).isBetween(0.43, 0.47);
    assertThat(counts.get("verbalized_calibration") / 20_000.0).isBetween(0.04, 0.06);
    assertThat(p.sample(null, random).principle()).isEqualTo("helpfulness");
    assertThat(p.prompts().get("helpfulness")).contains(p.sample("evol_instruct", random).systemPrompt());
  }

  @Test
  void ultraFeedbackCritiqueScoresAreParsedAsTheReleasedScriptDoes() {
    assertThat(OverallRubric.parseOverallScore("Good work.\nOverall Score: 7").value()).isEqualTo(7.0);
    assertThat(OverallRubric.parseOverallScore("Fine.\nOverall Score: 7.5").value()).isEqualTo(7.0);
    assertThat(OverallRubric.parseOverallScore("Fine.\nOverall Score: 8/10").value()).isEqualTo(8.0);
    assertThat(OverallRubric.parseOverallScore("Overall Score: 8").error()).contains("no 'Overall Score:' line");
    assertThat(OverallRubric.parseOverallScore("a\nOverall Score: 1\nOverall Score: 2").error())
        .contains("more than one");
    assertThat(OverallRubric.parseOverallScore("a\nOverall Score: 0").error()).contains("outside 1..10");
    assertThat(OverallRubric.parseOverallScore("a\nOverall Score: great").ok()).isFalse();

    OverallRubric critique = OverallRubric.ultraFeedbackCritique(TestData.path("ultrafeedback", "templates"));
    assertThat(critique.parse("Feedback.\nOverall Score: 6").value()).isEqualTo(6.0);
    assertThat(critique.parse("Rating: [[6]]").ok()).isFalse();
    assertThat(critique.instructionFor("Q?", "honesty", "Be honest.")).isEqualTo("Q?\nNote: Be honest.");
    assertThat(critique.instructionFor("Q?", "verbalized_calibration", "Say how sure you are. For instance, 80%."))
        .isEqualTo("Q?\nNote: Say how sure you are.");
    assertThat(critique.instructionFor("Q?", null, null)).isEqualTo("Q?");
    List<Message> m = critique.messages("Q?", "A.");
    assertThat(m.get(0).content()).startsWith("A chat between a curious user and an artificial intelligence expert.");
    assertThat(m.get(1).content()).contains("### Instruction\nQ?\n\n### Answer\nA.\n");
    // our default rubric ignores principles
    assertThat(OverallRubric.defaults().instructionFor("Q?", "honesty", "Be honest.")).isEqualTo("Q?");
  }
}
