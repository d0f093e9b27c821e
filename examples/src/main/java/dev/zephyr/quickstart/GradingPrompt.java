package dev.zephyr.quickstart;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The quickstart's single-answer grading prompt, in our own words. Question and answer sit between the same markers
 * FastChat's single-answer prompts use, so the rule-based judge also reads prompts laid out that way, and a real LLM
 * judge can be given this prompt unchanged. The judge ends with {@code Rating: [[N]]}.
 */
public final class GradingPrompt {
  /** The rubric the judge applies, as the prompt states it. */
  public static final String RUBRIC = """
      You are grading an assistant's answer to a short task. Give a score from 1 to 10 using this rubric, in order \
      of importance:
      - Correctness: the answer must be exactly right. A wrong answer scores 1 or 2 whatever else it does well.
      - Format: the reply is one sentence of the form "The answer is X."
      - Concision: nothing besides that sentence; every extra phrase costs points.
      Explain your grade in a few words, then give it on its own line as "Rating: [[N]]", for example "Rating: [[7]]".""";

  private static final Pattern LAYOUT = Pattern.compile(
      "\\[Question\\]\\s*\\n(.*?)\\n\\s*\\[The Start of Assistant's Answer\\]\\n(.*?)\\n\\[The End of Assistant's Answer\\]",
      Pattern.DOTALL);

  private GradingPrompt() {}

  /** A question and the answer to grade, as found in a judge prompt. */
  public record Graded(String question, String answer) {}

  /** The full prompt for one question and answer. */
  public static String render(String question, String answer) {
    return RUBRIC + "\n\n[Question]\n" + question + "\n\n[The Start of Assistant's Answer]\n" + answer
        + "\n[The End of Assistant's Answer]";
  }

  /** The question and answer in a prompt laid out with these markers, if it is. */
  public static Optional<Graded> parse(String prompt) {
    Matcher m = LAYOUT.matcher(prompt);
    return m.find() ? Optional.of(new Graded(m.group(1).strip(), m.group(2))) : Optional.empty();
  }
}
