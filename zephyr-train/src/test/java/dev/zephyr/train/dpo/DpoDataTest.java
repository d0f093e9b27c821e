package dev.zephyr.train.dpo;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.zephyr.core.io.Json;
import dev.zephyr.core.testing.TestData;
import dev.zephyr.core.tokenizer.ChatTokenizer;
import dev.zephyr.core.tokenizer.Tokenizer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** DPO data tokenisation with the Zephyr tokenizer and chat template from testdata/. */
class DpoDataTest {
  static Tokenizer tokenizer;
  static ChatTokenizer tok;

  @BeforeAll
  static void load() {
    tokenizer = Tokenizer.load(TestData.path("tokenizers", "zephyr"));
    tok = ChatTokenizer.of(tokenizer);
  }

  @AfterAll
  static void close() {
    tokenizer.close();
  }

  static JsonNode row(String json) throws Exception {
    return Json.mapper().readTree(json);
  }

  @Test
  void ultrafeedbackBinarizedRowsRepeatThePromptTurnInChosenAndRejected() throws Exception {
    // ultrafeedback_binarized: a string prompt, and chosen/rejected as [user, assistant] conversations
    DpoExample layout = DpoData.tokenize(row("""
        {"prompt": "What is 2 plus 3?",
         "chosen": [{"role": "user", "content": "What is 2 plus 3?"}, {"role": "assistant", "content": "5"}],
         "rejected": [{"role": "user", "content": "What is 2 plus 3?"}, {"role": "assistant", "content": "6"}]}
        """), "uf.jsonl", 1, tok);
    // the same pair with the completions alone
    DpoExample plain = DpoData.tokenize(row("""
        {"prompt": [{"role": "user", "content": "What is 2 plus 3?"}],
         "chosen": [{"role": "assistant", "content": "5"}],
         "rejected": [{"role": "assistant", "content": "6"}]}
        """), "plain.jsonl", 1, tok);
    assertThat(layout.promptIds()).isEqualTo(plain.promptIds());
    assertThat(layout.chosenIds()).isEqualTo(plain.chosenIds());
    assertThat(layout.rejectedIds()).isEqualTo(plain.rejectedIds());
    // the completion is the answer and the end of the turn, nothing of the prompt
    assertThat(tokenizer.decode(layout.chosenIds(), false)).startsWith("5</s>").doesNotContain("plus");
    assertThat(tokenizer.decode(layout.promptIds(), false)).contains("What is 2 plus 3?").endsWith("<|assistant|>\n");
  }
}
