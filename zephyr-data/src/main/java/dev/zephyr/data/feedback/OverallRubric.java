package dev.zephyr.data.feedback;

import dev.zephyr.core.InvalidInputException;
import dev.zephyr.core.TemplateException;
import dev.zephyr.core.chat.Message;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A single-answer rubric: the judge sees one prompt and one completion ({@code {instruction}} and {@code {completion}}
 * in the template) and gives a 1-10 score.
 *
 * <p>{@link ScoreFormat#BRACKETED} (our default rubric, MT-Bench's judges): the answer ends with
 * {@code Rating: [[N]]}, parsed as MT-Bench parses single ratings: the first {@code [[number]]}, else the first
 * {@code [number]}. {@link ScoreFormat#OVERALL_SCORE} (UltraFeedback's critique prompt): the text after the one
 * {@code "\nOverall Score: "}, cut at the first {@code "."} ("7.5" gives 7, as the released script does) and before a
 * {@code "/"} ("8/10" gives 8); UltraFeedback also appends the completion's principle to the instruction as a
 * {@code Note:}. Unlike both originals, a score outside 1..10 or no score at all is rejected instead of scored.
 *
 * @param name shown in {@code ratings.jsonl}
 * @param systemPrompt optional system message
 * @param template user message template
 * @param format how the score is written
 */
public record OverallRubric(String name, String systemPrompt, String template, ScoreFormat format) implements Rubric {

  /** How the judge writes its score. */
  public enum ScoreFormat {
    /** {@code [[N]]} (MT-Bench). */
    BRACKETED,
    /** {@code Overall Score: N} on its own line (UltraFeedback critique). */
    OVERALL_SCORE
  }
  private static final Pattern DOUBLE = Pattern.compile("\\[\\[(\\d+\\.?\\d*)\\]\\]");
  private static final Pattern SINGLE = Pattern.compile("\\[(\\d+\\.?\\d*)\\]");

  public OverallRubric {
    Templates.require(template, name, "instruction", "completion");
  }

  public OverallRubric(String name, String systemPrompt, String template) {
    this(name, systemPrompt, template, ScoreFormat.BRACKETED);
  }

  /** Our default rubric (resource {@code overall_rubric.txt}, written for zephyr). */
  public static OverallRubric defaults() {
    return new OverallRubric("overall", resource("overall_system_prompt.txt").strip(), resource("overall_rubric.txt"));
  }

  /** A user-supplied template file with {@code {instruction}} and {@code {completion}}; no system prompt. */
  public static OverallRubric fromFile(Path file) {
    try {
      return new OverallRubric(file.toString(), null, Files.readString(file, StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new InvalidInputException(file.toString(), 0, null, "cannot read rubric template: " + e.getMessage(), e);
    }
  }

  /**
   * UltraFeedback's critique-and-score prompt from the official templates directory
   * ({@code critique_system_prompt.txt}, {@code critique_feedback_prompt.txt}).
   */
  public static OverallRubric ultraFeedbackCritique(Path templatesDir) {
    try {
      return new OverallRubric("ultrafeedback_critique",
          Files.readString(templatesDir.resolve("critique_system_prompt.txt"), StandardCharsets.UTF_8).strip(),
          Files.readString(templatesDir.resolve("critique_feedback_prompt.txt"), StandardCharsets.UTF_8),
          ScoreFormat.OVERALL_SCORE);
    } catch (IOException e) {
      throw new InvalidInputException(templatesDir.toString(), 0, null,
          "cannot read the UltraFeedback critique templates: " + e, e);
    }
  }

  /**
   * The instruction the judge sees for a completion. UltraFeedback's critique shows the principle the completion was
   * asked to follow ({@code instruction + "\nNote: " + principle prompt}, verbalized calibration cut before its
   * examples); our rubric shows the bare instruction.
   */
  public String instructionFor(String instruction, String principle, String principlePrompt) {
    if (format != ScoreFormat.OVERALL_SCORE || principlePrompt == null) {
      return instruction;
    }
    String note = "verbalized_calibration".equals(principle)
        ? principlePrompt.split("For instance, ", -1)[0].strip()
        : principlePrompt;
    return instruction + "\nNote: " + note;
  }

  private static String resource(String name) {
    try (InputStream in = OverallRubric.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new TemplateException("missing resource " + name);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The judge's messages for one completion. */
  public List<Message> messages(String instruction, String completion) {
    List<Message> out = new ArrayList<>(2);
    if (systemPrompt != null && !systemPrompt.isBlank()) {
      out.add(Message.system(systemPrompt));
    }
    out.add(Message.user(Templates.fill(template, Map.of("instruction", instruction, "completion", completion))));
    return out;
  }

  /** The rating in the judge's answer. */
  public Judgment<Double> parse(String judgeText) {
    return format == ScoreFormat.BRACKETED ? parseRating(judgeText, 1, 10) : parseOverallScore(judgeText);
  }

  /** UltraFeedback's {@code Overall Score:} parsing, with a range check. */
  public static Judgment<Double> parseOverallScore(String text) {
    if (text == null) {
      return Judgment.rejected("no judge output");
    }
    String[] parts = text.split("\nOverall Score: ", -1);
    if (parts.length != 2) {
      return Judgment.rejected(parts.length < 2 ? "no 'Overall Score:' line" : "more than one 'Overall Score:' line");
    }
    String s = parts[1].split("\\.", -1)[0].strip();
    if (s.contains("/")) {
      s = s.substring(0, s.indexOf('/')).strip();
    }
    double score;
    try {
      score = Double.parseDouble(s);
    } catch (NumberFormatException e) {
      return Judgment.rejected("unreadable overall score '" + s + "'");
    }
    if (score < 1 || score > 10) {
      return Judgment.rejected("overall score " + s + " outside 1..10");
    }
    return Judgment.ok(score);
  }

  /** MT-Bench style {@code [[rating]]} extraction with a range check. */
  public static Judgment<Double> parseRating(String text, double min, double max) {
    if (text == null) {
      return Judgment.rejected("no judge output");
    }
    Matcher m = DOUBLE.matcher(text);
    if (!m.find()) {
      m = SINGLE.matcher(text);
      if (!m.find()) {
        return Judgment.rejected("no [[rating]] in the judge output");
      }
    }
    double rating;
    try {
      rating = Double.parseDouble(m.group(1));
    } catch (NumberFormatException e) {
      return Judgment.rejected("unreadable rating '" + m.group(1) + "'");
    }
    if (rating < min || rating > max) {
      return Judgment.rejected("rating " + m.group(1) + " outside " + (int) min + ".." + (int) max);
    }
    return Judgment.ok(rating);
  }
}
