package dev.zephyr.quickstart;

import dev.zephyr.core.chat.ChatRequest;
import java.util.Optional;

/**
 * The quickstart's judge: grades an answer to an {@link InstructionWorld} prompt 1-10 against the
 * {@link GradingPrompt#RUBRIC} (correctness first, then format, then concision) and replies like an LLM judge would,
 * with a short explanation and a final {@code Rating: [[N]]} line, so the same rating parser applies as for a real
 * judge. Prompts it cannot read, or questions outside its world, get a reply without a rating (a parse failure, as a
 * confused LLM judge would produce).
 *
 * <p>Scores: exact house-style correct answer 10; correct answer stated as "The answer is X." inside extra text 8,
 * minus 1 per 40 extra characters, at least 5; the correct bare answer or the answer in another wording 6; the correct
 * value somewhere in the text but never stated as the answer 4; a wrong answer in house style 2; anything else 1.
 */
public final class RuleBasedJudge extends RuleBasedChatModel {
  public RuleBasedJudge() {
    super("rule-based-judge");
  }

  /** A grade with the rubric's three findings. */
  public record Verdict(int rating, boolean correct, boolean inFormat, int extraChars, String explanation) {}

  @Override
  String reply(ChatRequest request, String user, int choice) {
    Optional<GradingPrompt.Graded> graded = GradingPrompt.parse(user);
    if (graded.isEmpty()) {
      return "I could not find a question and an answer to grade in this request.";
    }
    Optional<Task> task = InstructionWorld.parse(graded.get().question());
    if (task.isEmpty()) {
      return "I cannot verify answers to this question, so I give no grade.";
    }
    Verdict v = grade(task.get(), graded.get().answer());
    return v.explanation() + "\nRating: [[" + v.rating() + "]]";
  }

  /** Grades {@code response} to {@code task}. */
  public static Verdict grade(Task task, String response) {
    String text = response.strip();
    String expected = task.answer();
    Optional<String> exact = InstructionWorld.exactAnswer(text);
    if (exact.isPresent()) {
      if (exact.get().equals(expected)) {
        return new Verdict(10, true, true, 0, "Correct, in the expected format, and concise.");
      }
      return new Verdict(2, false, true, 0, "In the expected format, but the answer " + exact.get()
          + " is wrong.");
    }
    Optional<String> stated = InstructionWorld.statedAnswer(text);
    int extra = Math.max(0, text.length() - task.reference().length());
    if (stated.isPresent()) {
      if (stated.get().equals(expected)) {
        int rating = Math.max(5, 8 - extra / 40);
        return new Verdict(rating, true, false, extra, "Correct, but with " + extra
            + " characters of text beyond the answer sentence.");
      }
      return new Verdict(1, false, false, extra, "The answer " + stated.get() + " is wrong and the reply is wordy.");
    }
    if (text.equals(expected) || text.matches("(?i)(the )?answer\\s*(is)?\\s*:?\\s*" + java.util.regex.Pattern.quote(expected) + "\\.?")) {
      return new Verdict(6, true, false, extra, "Correct, but not written as \"The answer is X.\"");
    }
    if (!expected.isEmpty() && containsToken(text, expected)) {
      return new Verdict(4, true, false, extra, "The right value appears, but it is never clearly given as the answer.");
    }
    return new Verdict(1, false, false, extra, "Wrong or missing answer.");
  }

  private static boolean containsToken(String text, String expected) {
    return java.util.regex.Pattern.compile("(?<![\\w-])" + java.util.regex.Pattern.quote(expected) + "(?![\\w-])")
        .matcher(text).find();
  }
}
