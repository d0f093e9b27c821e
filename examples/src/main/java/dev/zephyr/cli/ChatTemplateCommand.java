package dev.zephyr.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.zephyr.core.InvalidInputException;
import dev.zephyr.core.TemplateException;
import dev.zephyr.core.TemplateLimitException;
import dev.zephyr.core.ZephyrException;
import dev.zephyr.core.io.Json;
import dev.zephyr.core.io.Jsonl;
import dev.zephyr.core.tokenizer.ChatTemplate;
import dev.zephyr.core.tokenizer.ChatTokenizer;
import dev.zephyr.core.tokenizer.TokenizationException;
import dev.zephyr.core.tokenizer.TokenizedChat;
import dev.zephyr.core.tokenizer.Tokenizer;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code zephyr chat-template}: renders and tokenizes conversations with a tokenizer's chat template, one JSON line out
 * per JSON line in, exactly as transformers' {@code apply_chat_template(tokenize=True,
 * return_assistant_tokens_mask=True)} would.
 */
@Command(
    name = "chat-template",
    mixinStandardHelpOptions = true,
    description = {
      "Render conversations with a chat template and tokenize them.",
      "Input lines: {\"messages\": [{\"role\": ..., \"content\": ...}, ...], \"add_generation_prompt\": false}.",
      "Output lines: {\"rendered\": ..., \"input_ids\": [...], \"assistant_mask\": [...]}, or {\"error\": ...} when"
          + " the template raised or uses a construct that cannot be rendered faithfully.",
      "When the text renders but no assistant mask can be derived, assistant_mask is null and mask_error says why."
    })
public final class ChatTemplateCommand implements Callable<Integer> {
  enum TemplateChoice { tokenizer, zephyr, chatml }

  @Option(names = "--tokenizer", required = true, paramLabel = "DIR",
      description = "Directory with tokenizer.json and tokenizer_config.json.")
  Path tokenizerDir;

  @Option(names = "--input", required = true, paramLabel = "FILE.jsonl", description = "Conversations, one per line.")
  Path input;

  @Option(names = "--template", defaultValue = "tokenizer", paramLabel = "NAME",
      description = "Template: tokenizer (its chat_template), zephyr or chatml.")
  TemplateChoice template;

  @Option(names = "--template-file", paramLabel = "FILE.jinja", description = "Read the template from this file.")
  Path templateFile;

  @Option(names = "--empty-system-message",
      description = "Insert an empty system message when a conversation has none (original Zephyr recipe).")
  boolean emptySystemMessage;

  @Override
  public Integer call() {
    PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    if (!Files.isRegularFile(input)) {
      throw new ZephyrException("--input: no such file: " + input);
    }
    try (Tokenizer tokenizer = Tokenizer.load(tokenizerDir)) {
      ChatTokenizer chat = ChatTokenizer.of(tokenizer, chooseTemplate(tokenizer));
      long rows = 0;
      long failed = 0;
      try (Jsonl.Reader<JsonNode> reader = Jsonl.reader(input, JsonNode.class, Jsonl.OnError.FAIL)) {
        while (reader.hasNext()) {
          ObjectNode result = process(chat, reader.next(), reader.lineNumber());
          rows++;
          failed += result.has("error") ? 1 : 0;
          out.println(Jsonl.toLine(result));
        }
      }
      if (failed > 0) {
        // every row is written, but a run with rows that did not render is not a success
        throw new ZephyrException(failed + " of " + rows + " conversations in " + input
            + " could not be rendered (their lines carry \"error\")");
      }
      return 0;
    } finally {
      out.flush(); // the lines before a failure stay ahead of its message
    }
  }

  private ChatTemplate chooseTemplate(Tokenizer tokenizer) {
    ChatTemplate t;
    if (templateFile != null) {
      try {
        t = ChatTemplate.of(Files.readString(templateFile, StandardCharsets.UTF_8));
      } catch (java.io.IOException e) {
        throw new InvalidInputException(templateFile.toString(), 0, null, "cannot read: " + e.getMessage(), e);
      }
    } else {
      t = switch (template) {
        case tokenizer -> ChatTemplate.forTokenizer(tokenizer.config());
        case zephyr -> ChatTemplate.zephyr();
        case chatml -> ChatTemplate.chatml();
      };
    }
    return t.withEmptySystemMessage(emptySystemMessage);
  }

  private ObjectNode process(ChatTokenizer chat, JsonNode record, long line) {
    List<Map<String, Object>> messages = messages(record, line);
    JsonNode agp = record.path("add_generation_prompt");
    if (!agp.isMissingNode() && !agp.isBoolean()) {
      throw new InvalidInputException(input.toString(), line, "add_generation_prompt", "expected true or false");
    }
    ObjectNode result = Json.mapper().createObjectNode();
    boolean addGenerationPrompt = agp.asBoolean(false);
    try {
      TokenizedChat t = chat.applyChatTemplateMaps(messages, addGenerationPrompt, Map.of());
      result.put("rendered", t.rendered());
      putInts(result.putArray("input_ids"), t.inputIds());
      putInts(result.putArray("assistant_mask"), t.assistantMask());
    } catch (TemplateLimitException limit) {
      // a limit would stop a second render the same way (after the same seconds, for the time limit)
      result.removeAll();
      result.put("error", limit.getMessage());
    } catch (TemplateException | TokenizationException maskOrTemplateError) {
      // The template may render fine while the mask cannot be derived (a template that rewrites earlier turns, such
      // as Qwen3's think blocks, and has no {% generation %} blocks): report the text and ids, and why no mask.
      result.removeAll();
      try {
        String rendered = chat.template().renderMaps(messages, addGenerationPrompt, Map.of());
        result.put("rendered", rendered);
        putInts(result.putArray("input_ids"), chat.tokenizer().encode(rendered, false));
        result.putNull("assistant_mask");
        result.put("mask_error", maskOrTemplateError.getMessage());
      } catch (TemplateException e) {
        result.removeAll();
        result.put("error", e.getMessage());
      }
    }
    return result;
  }

  private static void putInts(ArrayNode array, int[] values) {
    for (int v : values) {
      array.add(v);
    }
  }

  private List<Map<String, Object>> messages(JsonNode record, long line) {
    JsonNode msgs = record.get("messages");
    if (msgs == null || !msgs.isArray()) {
      throw new InvalidInputException(input.toString(), line, "messages", "expected a list of messages");
    }
    List<Map<String, Object>> out = new ArrayList<>();
    for (int i = 0; i < msgs.size(); i++) {
      JsonNode m = msgs.get(i);
      if (!m.isObject() || !m.path("role").isTextual()) {
        throw new InvalidInputException(input.toString(), line, "messages[" + i + "]",
            "expected an object with a string \"role\"");
      }
      @SuppressWarnings("unchecked")
      Map<String, Object> map = Json.mapper().convertValue(m, java.util.LinkedHashMap.class);
      out.add(map);
    }
    return out;
  }
}
