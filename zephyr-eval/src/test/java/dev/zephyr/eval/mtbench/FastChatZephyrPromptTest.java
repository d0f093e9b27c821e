package dev.zephyr.eval.mtbench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.zephyr.core.chat.Message;
import dev.zephyr.core.testing.TestData;
import dev.zephyr.core.tokenizer.ChatTokenizer;
import dev.zephyr.core.tokenizer.Tokenizer;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * FastChat renders Zephyr prompts with its "zephyr" conversation template, which always has a system block; the
 * model's own chat template with an empty system message gives the same text (eval.md 1.7).
 */
class FastChatZephyrPromptTest {
  @Test
  void emptySystemMessageReproducesFastChatsZephyrPrompt() {
    try (Tokenizer tok = Tokenizer.load(TestData.path("tokenizers", "zephyr"))) {
      ChatTokenizer chat = ChatTokenizer.of(tok);
      String turn1 = chat.render(List.of(Message.system(""), Message.user("Q1")), true);
      assertThat(turn1).isEqualTo("<|system|>\n</s>\n<|user|>\nQ1</s>\n<|assistant|>\n");
      String turn2 = chat.render(List.of(Message.system(""), Message.user("Q1"), Message.assistant("A1"),
          Message.user("Q2")), true);
      assertThat(turn2).isEqualTo("<|system|>\n</s>\n<|user|>\nQ1</s>\n<|assistant|>\nA1</s>\n<|user|>\nQ2</s>\n"
          + "<|assistant|>\n");
    }
  }
}
