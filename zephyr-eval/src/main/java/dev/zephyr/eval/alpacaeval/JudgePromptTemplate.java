package dev.zephyr.eval.alpacaeval;

import dev.zephyr.core.InvalidInputException;
import dev.zephyr.core.chat.Message;
import dev.zephyr.core.chat.Role;
import java.io.IOException;
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
 * An alpaca_eval annotator prompt: ChatML text ({@code <|im_start|>role\n...<|im_end|>}) with placeholders such as
 * {@code {instruction}}, {@code {output_1}}, {@code {output_2}}.
 *
 * <p>Filling follows alpaca_eval's {@code make_prompts}: placeholders are the matches of {@code {([^ \s]+?)}} in
 * order of appearance, and each is replaced by its value with a first-occurrence {@code replace}, one after the other
 * (not Python {@code str.format}). Conversion to chat messages follows {@code prompt_to_chatml}: the text is split on
 * {@code <|im_start|>}, the role is the first line, the content runs to {@code <|im_end|>} and is stripped.
 */
public final class JudgePromptTemplate {
  private static final Pattern PLACEHOLDER = Pattern.compile("\\{([^ \\s]+?)\\}");
  private static final String START = "<|im_start|>";
  private static final String END = "<|im_end|>";

  private final String source;
  private final String text;
  private final List<String> placeholders;

  public JudgePromptTemplate(String source, String text) {
    this.source = source;
    this.text = text;
    List<String> keys = new ArrayList<>();
    Matcher m = PLACEHOLDER.matcher(text);
    while (m.find()) {
      keys.add(m.group(1));
    }
    this.placeholders = List.copyOf(keys);
  }

  /** Reads a template file (UTF-8, used byte for byte). */
  public static JudgePromptTemplate read(Path file) {
    try {
      return new JudgePromptTemplate(file.toString(), Files.readString(file, StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read judge prompt template " + file, e);
    }
  }

  /** The raw template text. */
  public String text() {
    return text;
  }

  /** Placeholder names in order of appearance (repeats included). */
  public List<String> placeholders() {
    return placeholders;
  }

  /** The filled prompt text. Every placeholder needs a value. */
  public String fill(Map<String, String> values) {
    String prompt = text;
    for (String key : placeholders) {
      String value = values.get(key);
      if (value == null) {
        throw InvalidInputException.field(source, key, "the judge prompt template needs a value for {" + key + "}");
      }
      String target = "{" + key + "}";
      int at = prompt.indexOf(target);
      if (at >= 0) {
        prompt = prompt.substring(0, at) + value + prompt.substring(at + target.length());
      }
    }
    return prompt;
  }

  /** Splits filled ChatML text into chat messages as {@code prompt_to_chatml} does. */
  public static List<Message> toChatMessages(String prompt) {
    String p = prompt.strip();
    if (!p.startsWith(START) || !p.endsWith(END)) {
      throw new InvalidInputException("judge prompt", 0, null,
          "expected ChatML text starting with " + START + " and ending with " + END);
    }
    List<Message> messages = new ArrayList<>();
    String[] parts = p.split(Pattern.quote(START), -1);
    for (int i = 1; i < parts.length; i++) {
      String part = parts[i];
      int nl = part.indexOf('\n');
      if (nl < 0) {
        throw new InvalidInputException("judge prompt", 0, null, "a ChatML block has no newline after its role");
      }
      String role = part.substring(0, nl).strip();
      String rest = part.substring(nl + 1);
      int end = rest.indexOf(END);
      String content = (end >= 0 ? rest.substring(0, end) : rest).strip();
      // "system name=example_user" style roles are system messages with extra parameters.
      Role r = role.startsWith("system") ? Role.SYSTEM : Role.of(role);
      messages.add(new Message(r, content));
    }
    return messages;
  }
}
