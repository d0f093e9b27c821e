package dev.zephyr.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.zephyr.core.io.Json;
import dev.zephyr.core.testing.TestData;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChatTemplateCommandTest {
  @org.junit.jupiter.api.BeforeAll
  static void initLogging() {
    // Logback prints its own status lines to stdout on first use; get that over with before capturing stdout.
    org.slf4j.LoggerFactory.getLogger(ChatTemplateCommandTest.class).debug("init");
  }

  record Run(int exitCode, List<JsonNode> lines, String stderr) {}

  static Run run(String... args) throws IOException {
    CliRun r = CliRun.of(args);
    List<JsonNode> lines = new ArrayList<>();
    for (String line : r.out().split("\n")) {
      if (!line.isBlank()) {
        try {
          lines.add(Json.mapper().readTree(line));
        } catch (IOException e) {
          throw new AssertionError("stdout line is not JSON: " + line, e);
        }
      }
    }
    return new Run(r.code(), lines, r.err());
  }

  /** The golden records of one tokenizer, as command input lines. */
  static List<JsonNode> golden(String tokenizer) throws IOException {
    List<JsonNode> out = new ArrayList<>();
    for (String line : Files.readAllLines(TestData.path("golden", "chat_templates.jsonl"))) {
      JsonNode n = Json.mapper().readTree(line);
      if (n.get("tokenizer").asText().equals(tokenizer)) {
        out.add(n);
      }
    }
    return out;
  }

  static Path inputOf(Path dir, List<JsonNode> records) throws IOException {
    List<String> lines = new ArrayList<>();
    for (JsonNode r : records) {
      lines.add(Json.mapper().createObjectNode().<com.fasterxml.jackson.databind.node.ObjectNode>set(
          "messages", r.get("messages")).put("add_generation_prompt", r.get("add_generation_prompt").asBoolean())
          .toString());
    }
    Path file = dir.resolve("in.jsonl");
    Files.write(file, lines, StandardCharsets.UTF_8);
    return file;
  }

  @Test
  void reproducesTheZephyrGoldensWithMasks(@TempDir Path dir) throws IOException {
    List<JsonNode> golden = golden("zephyr");
    Run r = run("chat-template", "--tokenizer", TestData.path("tokenizers", "zephyr").toString(),
        "--input", inputOf(dir, golden).toString());
    assertThat(r.exitCode()).as(r.stderr()).isZero();
    assertThat(r.lines()).hasSize(golden.size());
    for (int i = 0; i < golden.size(); i++) {
      JsonNode out = r.lines().get(i);
      assertThat(out.get("rendered").asText()).isEqualTo(golden.get(i).get("rendered").asText());
      assertThat(out.get("input_ids")).isEqualTo(golden.get(i).get("input_ids"));
      assertThat(out.get("assistant_mask")).hasSize(out.get("input_ids").size());
    }
    // "system-user-assistant" without a generation prompt: the assistant reply and its "</s>" are masked in.
    JsonNode sua = r.lines().get(2);
    int masked = 0;
    for (JsonNode m : sua.get("assistant_mask")) {
      masked += m.asInt();
    }
    assertThat(masked).isGreaterThan(2);
    int lastEos = -1;
    for (int i = 0; i < sua.get("input_ids").size(); i++) {
      if (sua.get("input_ids").get(i).asInt() == 2) {
        lastEos = i;
      }
    }
    assertThat(sua.get("assistant_mask").get(lastEos).asInt()).isEqualTo(1);
  }

  @Test
  void qwen3GoldensThroughThePythonCompatibilityRewrites(@TempDir Path dir) throws IOException {
    List<JsonNode> golden = golden("qwen3");
    Run r = run("chat-template", "--tokenizer", TestData.path("tokenizers", "qwen3").toString(),
        "--input", inputOf(dir, golden).toString());
    assertThat(r.exitCode()).as(r.stderr()).isZero();
    for (int i = 0; i < golden.size(); i++) {
      assertThat(r.lines().get(i).get("rendered").asText()).isEqualTo(golden.get(i).get("rendered").asText());
      assertThat(r.lines().get(i).get("input_ids")).isEqualTo(golden.get(i).get("input_ids"));
    }
    // Qwen3 renders think blocks only after the last user turn, so a multi-turn mask cannot come from prefix
    // differencing: the text is still given, the mask is null with the reason.
    JsonNode twoTurns = r.lines().get(6);
    assertThat(golden.get(6).get("case").asText()).isEqualTo("two-turns");
    assertThat(twoTurns.get("assistant_mask").isNull()).isTrue();
    assertThat(twoTurns.get("mask_error").asText()).contains("generation");
    assertThat(r.lines().get(2).get("assistant_mask").isArray()).isTrue();
  }

  @Test
  void unsupportedTemplateGivesAnErrorLinePerInput(@TempDir Path dir) throws IOException {
    Path template = dir.resolve("t.jinja");
    Files.writeString(template, "{% for m in messages[::2] %}{{ m['content'] }}{% endfor %}");
    List<JsonNode> golden = golden("zephyr").subList(0, 2);
    Run r = run("chat-template", "--tokenizer", TestData.path("tokenizers", "zephyr").toString(),
        "--input", inputOf(dir, golden).toString(), "--template-file", template.toString());
    assertThat(r.exitCode()).as("rows that did not render make the run a failure").isEqualTo(1);
    assertThat(r.stderr()).contains("2 of 2 conversations").contains("could not be rendered");
    assertThat(r.lines()).hasSize(2);
    assertThat(r.lines().get(0).get("error").asText())
        .contains("unsupported chat template construct")
        .contains("[::2]");
  }

  @Test
  void raisingTemplateGivesTheTemplatesMessage(@TempDir Path dir) throws IOException {
    Path template = dir.resolve("t.jinja");
    Files.writeString(template, "{% if messages[0]['role'] != 'user' %}{{ raise_exception('first must be user') }}"
        + "{% endif %}{% for m in messages %}{{ m['content'] }}{% endfor %}");
    Path input = dir.resolve("in.jsonl");
    Files.writeString(input, "{\"messages\": [{\"role\": \"assistant\", \"content\": \"x\"}]}\n"
        + "{\"messages\": [{\"role\": \"user\", \"content\": \"ok\"}], \"add_generation_prompt\": true}\n");
    Run r = run("chat-template", "--tokenizer", TestData.path("tokenizers", "zephyr").toString(),
        "--input", input.toString(), "--template-file", template.toString());
    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.stderr()).contains("1 of 2 conversations");
    assertThat(r.lines().get(0).get("error").asText()).isEqualTo("first must be user");
    assertThat(r.lines().get(1).get("rendered").asText()).isEqualTo("ok");
  }

  @Test
  void badInputNamesFileLineAndField(@TempDir Path dir) throws IOException {
    Path input = dir.resolve("bad.jsonl");
    Files.writeString(input, "{\"messages\": [{\"role\": \"user\", \"content\": \"a\"}]}\n{\"message\": []}\n");
    Run r = run("chat-template", "--tokenizer", TestData.path("tokenizers", "zephyr").toString(),
        "--input", input.toString());
    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.lines()).hasSize(1);
    assertThat(r.stderr()).contains("bad.jsonl:2: field 'messages'");
  }
}
