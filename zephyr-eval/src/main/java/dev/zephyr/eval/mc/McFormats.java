package dev.zephyr.eval.mc;

import com.fasterxml.jackson.databind.JsonNode;
import dev.zephyr.core.InvalidInputException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Turns rows of the usual Hugging Face multiple-choice datasets into {@link McExample}s with lm-evaluation-harness's
 * zero-shot prompt formats:
 * <ul>
 *   <li>{@code arc} (allenai/ai2_arc): {@code "Question: " + question + "\nAnswer:"}, choices {@code choices.text},
 *       gold = index of {@code answerKey} in {@code choices.label};
 *   <li>{@code hellaswag} (Rowan/hellaswag): {@code activity_label + ": " + ctx_a + " " + capitalize(ctx_b)} and the
 *       endings, both cleaned as the harness does (strip, " [title]" to ". ", bracketed tags removed, double spaces
 *       collapsed); gold = {@code label};
 *   <li>{@code mmlu} (cais/mmlu): the subject header, the question and lettered options, {@code "Answer:"}; choices
 *       A-D; gold = {@code answer};
 *   <li>{@code truthfulqa_mc1} (truthful_qa multiple_choice): {@code primer + "Q: " + question + "\nA:"} with the
 *       few-shot primer supplied by the caller, choices {@code mc1_targets.choices}, gold = the label 1;
 *   <li>{@code hhh} (BIG-bench hhh_alignment): {@code input}, choices {@code targets.choices}, gold = the label 1.
 * </ul>
 */
public final class McFormats {
  private McFormats() {}

  /** One row in the named format; {@code primer} is used by {@code truthfulqa_mc1} only (may be empty). */
  public static McExample convert(String format, JsonNode row, String primer, String source, long line) {
    try {
      return switch (format.toLowerCase(Locale.ROOT)) {
        case "arc" -> arc(row);
        case "hellaswag" -> hellaswag(row);
        case "mmlu" -> mmlu(row);
        case "truthfulqa_mc1" -> labelled("Q: " + text(row, "question") + "\nA:", row.get("mc1_targets"),
            primer == null ? "" : primer);
        case "hhh" -> labelled(text(row, "input"), row.get("targets"), "");
        case "generic" -> null;
        default -> throw new IllegalArgumentException("unknown format '" + format
            + "' (arc, hellaswag, mmlu, truthfulqa_mc1, hhh)");
      };
    } catch (IllegalStateException | NullPointerException | IndexOutOfBoundsException e) {
      throw new InvalidInputException(source, line, null, "not a " + format + " row: " + e.getMessage(), e);
    }
  }

  static McExample arc(JsonNode row) {
    JsonNode choices = row.get("choices");
    List<String> texts = strings(choices.get("text"));
    List<String> labels = strings(choices.get("label"));
    int gold = labels.indexOf(text(row, "answerKey"));
    if (gold < 0) {
      throw new IllegalStateException("answerKey not among the labels " + labels);
    }
    return new McExample("Question: " + text(row, "question") + "\nAnswer:", texts, gold);
  }

  static McExample hellaswag(JsonNode row) {
    String ctxB = text(row, "ctx_b");
    String ctx = text(row, "ctx_a") + " " + (ctxB.isEmpty() ? "" : capitalize(ctxB));
    String query = clean(text(row, "activity_label") + ": " + ctx);
    List<String> endings = new ArrayList<>();
    for (String e : strings(row.get("endings"))) {
      endings.add(clean(e));
    }
    return new McExample(query, endings, Integer.parseInt(row.get("label").asText()));
  }

  static McExample mmlu(JsonNode row) {
    List<String> choices = strings(row.get("choices"));
    StringBuilder sb = new StringBuilder();
    String subject = row.path("subject").asText("");
    if (!subject.isEmpty()) {
      sb.append("The following are multiple choice questions (with answers) about ")
          .append(subject.replace('_', ' ')).append(".\n\n");
    }
    sb.append(text(row, "question").strip());
    String[] letters = {"A", "B", "C", "D"};
    for (int i = 0; i < choices.size(); i++) {
      sb.append('\n').append(letters[i]).append(". ").append(choices.get(i));
    }
    sb.append("\nAnswer:");
    return new McExample(sb.toString(), List.of(letters).subList(0, choices.size()), row.get("answer").asInt());
  }

  private static McExample labelled(String context, JsonNode targets, String primer) {
    List<String> choices = strings(targets.get("choices"));
    JsonNode labels = targets.get("labels");
    int gold = -1;
    for (int i = 0; i < labels.size(); i++) {
      if (labels.get(i).asInt() == 1) {
        gold = i;
        break;
      }
    }
    if (gold < 0) {
      throw new IllegalStateException("no label 1 among the targets");
    }
    return new McExample(primer + context, choices, gold);
  }

  /** The harness's HellaSwag cleanup. */
  static String clean(String text) {
    String t = text.strip();
    t = t.replace(" [title]", ". ");
    t = t.replaceAll("\\[.*?\\]", "");
    t = t.replace("  ", " ");
    return t;
  }

  /** Python's {@code str.capitalize}: first character upper case, the rest lower case. */
  static String capitalize(String s) {
    int first = s.codePointAt(0);
    int n = Character.charCount(first);
    return new String(Character.toChars(Character.toTitleCase(first))) + s.substring(n).toLowerCase(Locale.ROOT);
  }

  private static String text(JsonNode row, String field) {
    JsonNode n = row.get(field);
    if (n == null || n.isNull()) {
      throw new IllegalStateException("missing field '" + field + "'");
    }
    return n.asText();
  }

  private static List<String> strings(JsonNode array) {
    if (array == null || !array.isArray()) {
      throw new IllegalStateException("expected a list");
    }
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asText()));
    return out;
  }
}
