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
 * in the template) and ends with {@code Rating: [[N]]}, N from 1 to 10. Parsed as MT-Bench parses single ratings: the
 * first {@code [[number]]}, else the first {@code [number]}; unlike MT-Bench, a rating outside 1..10 or no rating at all
 * is rejected instead of scored -1.
 *
 * @param name shown in {@code ratings.jsonl}
 * @param systemPrompt optional system message
 * @param template user message template
 */
public record OverallRubric(String name, String systemPrompt, String template) implements Rubric {
  private static final Pattern DOUBLE = Pattern.compile("\\[\\[(\\d+\\.?\\d*)\\]\\]");
  private static final Pattern SINGLE = Pattern.compile("\\[(\\d+\\.?\\d*)\\]");

  public OverallRubric {
    Templates.require(template, name, "instruction", "completion");
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
    return parseRating(judgeText, 1, 10);
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
