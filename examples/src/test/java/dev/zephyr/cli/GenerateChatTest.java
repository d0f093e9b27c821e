package dev.zephyr.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.zephyr.core.chat.Message;
import dev.zephyr.core.testing.TestData;
import dev.zephyr.core.tokenizer.ChatTokenizer;
import dev.zephyr.core.tokenizer.Tokenizer;
import dev.zephyr.core.tokenizer.TinyTokenizers;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code zephyr generate} with chat messages: formatted by the chat template, text decoded by the tokenizer. */
class GenerateChatTest {
  @BeforeAll
  static void initLogging() {
    org.slf4j.LoggerFactory.getLogger(GenerateChatTest.class).debug("init");
  }

  @Test
  void promptIsFormattedWithTheTemplate(@TempDir Path dir) throws IOException {
    Path tok = TinyTokenizers.characterLevel(dir.resolve("tok"));
    String model = TestData.path("fixtures", "llama-gqa-f32").toString();
    ChatTemplateCommandTest.Run chat = ChatTemplateCommandTest.run("generate", "--model", model,
        "--tokenizer", tok.toString(), "--prompt", "Hi", "--max-new-tokens", "4");
    assertThat(chat.exitCode()).as(chat.stderr()).isZero();
    JsonNode out = chat.lines().get(0);
    // "<|user|>\nHi</s>\n<|assistant|>\n": 11 characters, "</s>" as one token, 15 characters: 27 ids.
    assertThat(out.get("prompt_tokens").asInt()).isEqualTo(27);
    assertThat(out.has("text")).isTrue();

    // The same prompt given as ids generates the same tokens (greedy).
    String ids;
    try (Tokenizer t = Tokenizer.load(tok)) {
      ids = Arrays.stream(ChatTokenizer.of(t).formatPrompt(List.of(Message.user("Hi"))))
          .mapToObj(String::valueOf).collect(Collectors.joining(","));
      assertThat(out.get("text").asText()).isEqualTo(t.decodeText(ints(out.get("token_ids"))));
    }
    ChatTemplateCommandTest.Run fromIds = ChatTemplateCommandTest.run("generate", "--model", model,
        "--prompt-ids", ids, "--max-new-tokens", "4");
    assertThat(fromIds.lines().get(0).get("token_ids")).isEqualTo(out.get("token_ids"));
    Path messages = dir.resolve("m.jsonl");
    Files.writeString(messages, "{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}]}\n");
    ChatTemplateCommandTest.Run fromFile = ChatTemplateCommandTest.run("generate", "--model", model,
        "--tokenizer", tok.toString(), "--messages", messages.toString(), "--max-new-tokens", "4");
    assertThat(fromFile.exitCode()).as(fromFile.stderr()).isZero();
    assertThat(fromFile.lines().get(0).get("token_ids")).isEqualTo(out.get("token_ids"));
  }

  private static int[] ints(JsonNode array) {
    int[] out = new int[array.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = array.get(i).asInt();
    }
    return out;
  }

  @Test
  void exactlyOnePromptSource() throws IOException {
    ChatTemplateCommandTest.Run r = ChatTemplateCommandTest.run("generate", "--model",
        TestData.path("fixtures", "llama-gqa-f32").toString(), "--prompt", "Hi", "--prompt-ids", "1,2");
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.stderr()).contains("exactly one of --prompt-ids, --prompt or --messages");
  }
}
