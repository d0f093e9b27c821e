package dev.zephyr.core.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import dev.zephyr.core.TemplateException;
import dev.zephyr.core.io.Json;
import dev.zephyr.core.testing.TestData;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every record of testdata/golden/chat_templates.jsonl (rendered by Python Jinja2 in transformers' setup, ids from
 * Hugging Face's JavaScript tokenizer; testdata/tools/chat_golden.py): all four tokenizers, qwen3 included (its
 * Python-only constructs are rewritten by PythonCompat), must match byte for byte and id for id, and a template that
 * raised in Python must raise here with the same message.
 */
class ChatTemplateGoldenTest {
  private static final Map<String, Tokenizer> TOKENIZERS = new HashMap<>();

  static Stream<JsonNode> records() throws IOException {
    List<JsonNode> out = new ArrayList<>();
    for (String line : Files.readAllLines(TestData.path("golden", "chat_templates.jsonl"))) {
      if (!line.isBlank()) {
        out.add(Json.mapper().readTree(line));
      }
    }
    assertThat(out).hasSize(66);
    return out.stream();
  }

  private static synchronized Tokenizer tokenizer(String name) {
    return TOKENIZERS.computeIfAbsent(name, n -> Tokenizer.load(TestData.path("tokenizers", n)));
  }

  @AfterAll
  static void close() {
    TOKENIZERS.values().forEach(Tokenizer::close);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("records")
  void reproducesGolden(JsonNode record) {
    String name = record.get("tokenizer").asText();
    Tokenizer tok = tokenizer(name);
    ChatTemplate template = ChatTemplate.forTokenizer(tok.config());
    // The real templates render byte for byte under the default limits (time, output, depth, arguments, no loader).
    assertThat(template.limits()).isEqualTo(TemplateLimits.DEFAULTS);
    List<Map<String, Object>> messages =
        Json.mapper().convertValue(record.get("messages"), new TypeReference<List<Map<String, Object>>>() {});
    boolean agp = record.get("add_generation_prompt").asBoolean();
    if (record.has("error")) {
      assertThatThrownBy(() -> template.renderMaps(messages, agp, Map.of()))
          .isInstanceOf(TemplateException.class)
          .hasMessage(record.get("error").asText());
      return;
    }
    assertThat(template.unsupportedConstruct()).isEmpty();
    String rendered = template.renderMaps(messages, agp, Map.of());
    assertThat(rendered).isEqualTo(record.get("rendered").asText());
    int[] expected = Json.mapper().convertValue(record.get("input_ids"), int[].class);
    assertThat(tok.encode(rendered, false)).containsExactly(expected);
  }
}
