package dev.zephyr.data.feedback;

import dev.zephyr.core.InvalidInputException;
import dev.zephyr.core.TemplateException;
import dev.zephyr.core.chat.Message;
import dev.zephyr.data.rows.RatingRecord.AspectRating;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * UltraFeedback's fine-grained annotation: four aspects, each judged in one call that shows all completions of a prompt
 * ({@code <text 1>}..{@code <text K>}) in a shuffled order, rated 1 to 5 with rationales. The templates are the official
 * files, read from a directory the user supplies ({@code system_prompt.txt}, {@code instruction_following_template.txt},
 * {@code honesty_template.txt}, {@code truthfulness_template_without_answer.txt},
 * {@code helpfulness_template_without_answer.txt}); the {@code _with_answer} variants need world knowledge we do not have
 * for arbitrary prompts.
 *
 * <p>Parsing follows the official script: one block per text, {@code Rating: ...\nRationale: ...} for instruction
 * following and honesty, {@code Type: ...\nRationale: ...\nRating: ...\nRationale: ...} for truthfulness and
 * helpfulness; the rating is the first integer, or {@code N/A}. Blocks are found by their {@code Output for Text N}
 * headings, else by blank lines as the script does. A rating outside 1..5 rejects the whole answer.
 */
public record UltraFeedbackRubric(String systemPrompt, Map<Aspect, String> templates, int texts) implements Rubric {

  /** The four aspects, named as UltraFeedback's {@code annotations} keys. */
  public enum Aspect {
    INSTRUCTION_FOLLOWING("instruction_following", "instruction_following_template.txt", false),
    HONESTY("honesty", "honesty_template.txt", false),
    TRUTHFULNESS("truthfulness", "truthfulness_template_without_answer.txt", true),
    HELPFULNESS("helpfulness", "helpfulness_template_without_answer.txt", true);

    private final String key;
    private final String file;
    private final boolean typed;

    Aspect(String key, String file, boolean typed) {
      this.key = key;
      this.file = file;
      this.typed = typed;
    }

    /** The annotation key, e.g. {@code instruction_following}. */
    public String key() {
      return key;
    }
  }

  private static final Pattern HEADING = Pattern.compile("Output for Text\\s*(\\d+)");
  private static final Pattern PLAIN = Pattern.compile("Rating: (.+?)\\nRationale: (.+)", Pattern.DOTALL);
  private static final Pattern TYPED =
      Pattern.compile("Type: (.+?)\\nRationale: (.+?)\\nRating: (.+?)\\nRationale: (.+)", Pattern.DOTALL);
  private static final Pattern INT = Pattern.compile("\\b\\d+\\b");

  public UltraFeedbackRubric {
    templates = Map.copyOf(templates);
  }

  @Override
  public String name() {
    return "ultrafeedback";
  }

  /** Loads the official templates from {@code dir}; every template must show the same number of texts. */
  public static UltraFeedbackRubric load(Path dir) {
    String system = read(dir.resolve("system_prompt.txt"));
    Map<Aspect, String> templates = new EnumMap<>(Aspect.class);
    int texts = -1;
    for (Aspect a : Aspect.values()) {
      Path file = dir.resolve(a.file);
      String t = read(file);
      Templates.require(t, file.toString(), "instruction", "text_1");
      int n = 0;
      while (t.contains("{text_" + (n + 1) + "}")) {
        n++;
      }
      if (texts >= 0 && n != texts) {
        throw new TemplateException(file + ": shows " + n + " texts, the other templates " + texts);
      }
      texts = n;
      templates.put(a, t);
    }
    return new UltraFeedbackRubric(system, templates, texts);
  }

  private static String read(Path file) {
    try {
      return Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new InvalidInputException(file.toString(), 0, null, "cannot read UltraFeedback template: " + e, e);
    }
  }

  /** The judge's messages for one aspect, texts in the order shown. */
  public List<Message> messages(Aspect aspect, String instruction, List<String> shownTexts) {
    if (shownTexts.size() != texts) {
      throw new IllegalArgumentException("the UltraFeedback templates show " + texts + " texts, got "
          + shownTexts.size());
    }
    Map<String, String> values = new HashMap<>();
    values.put("instruction", instruction);
    for (int i = 0; i < shownTexts.size(); i++) {
      values.put("text_" + (i + 1), shownTexts.get(i));
    }
    return List.of(Message.system(systemPrompt), Message.user(Templates.fill(templates.get(aspect), values)));
  }

  /** Parses one aspect's answer into one rating per shown text, in the order shown. */
  public Judgment<List<AspectRating>> parse(Aspect aspect, String judgeText) {
    if (judgeText == null) {
      return Judgment.rejected("no judge output");
    }
    List<String> blocks = blocks(judgeText);
    if (blocks.size() != texts) {
      return Judgment.rejected("expected " + texts + " annotation blocks, found " + blocks.size());
    }
    List<AspectRating> out = new ArrayList<>(texts);
    for (int i = 0; i < blocks.size(); i++) {
      String block = blocks.get(i);
      Matcher m = (aspect.typed ? TYPED : PLAIN).matcher(block);
      if (!m.find()) {
        return Judgment.rejected("block " + (i + 1) + " does not have the " + aspect.key + " format");
      }
      String ratingText = (aspect.typed ? m.group(3) : m.group(1)).strip();
      String rating;
      if (ratingText.equals("N/A")) {
        rating = "N/A";
      } else {
        Matcher num = INT.matcher(ratingText);
        if (!num.find()) {
          return Judgment.rejected("block " + (i + 1) + ": no rating in '" + ratingText + "'");
        }
        int r = Integer.parseInt(num.group());
        if (r < 1 || r > 5) {
          return Judgment.rejected("block " + (i + 1) + ": rating " + r + " outside 1..5");
        }
        rating = Integer.toString(r);
      }
      if (aspect.typed) {
        String typeText = m.group(1).strip();
        List<String> types = new ArrayList<>();
        Matcher t = INT.matcher(typeText);
        while (t.find()) {
          types.add(t.group());
        }
        if (types.isEmpty()) {
          types.add("None");
        }
        out.add(new AspectRating(rating, m.group(2).strip(), types, m.group(4).strip()));
      } else {
        out.add(new AspectRating(rating, m.group(2).strip(), null, null));
      }
    }
    return Judgment.ok(out);
  }

  private List<String> blocks(String text) {
    String normalized = text.replace("\r\n", "\n");
    Matcher h = HEADING.matcher(normalized);
    List<int[]> headings = new ArrayList<>();
    while (h.find()) {
      headings.add(new int[] {h.start(), h.end()});
    }
    List<String> blocks = new ArrayList<>();
    if (headings.size() == texts) {
      for (int i = 0; i < headings.size(); i++) {
        int from = headings.get(i)[1];
        // the block ends where the line holding the next heading begins
        int end = i + 1 < headings.size()
            ? Math.max(from, normalized.lastIndexOf('\n', headings.get(i + 1)[0]))
            : normalized.length();
        blocks.add(normalized.substring(from, end).strip());
      }
      return blocks;
    }
    for (String b : normalized.split("\n\n")) {
      if (!b.isBlank()) {
        blocks.add(b.strip());
      }
    }
    return blocks;
  }

  /** Mean of the numeric ratings, N/A excluded (UltraFeedback's {@code fine-grained_score}); null when none. */
  public static Double fineGrainedScore(Map<String, AspectRating> annotations) {
    double sum = 0;
    int n = 0;
    for (AspectRating r : annotations.values()) {
      if (r != null && !"N/A".equals(r.rating())) {
        sum += Integer.parseInt(r.rating());
        n++;
      }
    }
    return n == 0 ? null : sum / n;
  }
}
