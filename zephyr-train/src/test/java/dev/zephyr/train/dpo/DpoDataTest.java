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

  static JsonNode textPair(String prompt, String chosen, String rejected) {
    return Json.mapper().createObjectNode().put("prompt", prompt).put("chosen", chosen).put("rejected", rejected);
  }

  static JsonNode messagePair(String prompt, String chosen, String rejected) {
    com.fasterxml.jackson.databind.node.ObjectNode row = Json.mapper().createObjectNode();
    row.putArray("chosen").add(Json.mapper().createObjectNode().put("role", "user").put("content", prompt))
        .add(Json.mapper().createObjectNode().put("role", "assistant").put("content", chosen));
    row.putArray("rejected").add(Json.mapper().createObjectNode().put("role", "user").put("content", prompt))
        .add(Json.mapper().createObjectNode().put("role", "assistant").put("content", rejected));
    return row;
  }

  @Test
  void pairsCutToTheCharacterBudgetGiveExactlyTheTokensOfTheWholePair() throws Exception {
    String longA = dev.zephyr.train.Prose.of(9000, 4);
    String longB = dev.zephyr.train.Prose.of(7000, 5);
    java.util.List<JsonNode> rows = java.util.List.of(
        textPair("Question: why?", " " + longA, " " + longB),
        textPair(longA, " yes", " no"),
        textPair("Short prompt.", " Short yes.", " " + longB),
        messagePair("Why?", longA, "No."),
        messagePair(longB, "Yes.", "No."),
        messagePair("What is 2 plus 3?", "5", "6"));
    for (int maxLength : java.util.List.of(8, 64, 300)) {
      DpoData.Prepared p = DpoData.prepareCounted(rows, "mem", tok, maxLength);
      java.util.List<DpoExample> expected = new java.util.ArrayList<>();
      for (int i = 0; i < rows.size(); i++) {
        DpoExample e = DpoData.tokenize(rows.get(i), "mem", i + 1, tok).truncated(maxLength);
        if (e != null) {
          expected.add(e);
        }
      }
      assertThat(p.pairs()).as("max_length %d", maxLength).hasSameSizeAs(expected);
      assertThat(p.dropped()).isEqualTo(rows.size() - expected.size());
      for (int i = 0; i < expected.size(); i++) {
        assertThat(p.pairs().get(i).promptIds()).as("%d pair %d prompt", maxLength, i)
            .isEqualTo(expected.get(i).promptIds());
        assertThat(p.pairs().get(i).chosenIds()).as("%d pair %d chosen", maxLength, i)
            .isEqualTo(expected.get(i).chosenIds());
        assertThat(p.pairs().get(i).rejectedIds()).as("%d pair %d rejected", maxLength, i)
            .isEqualTo(expected.get(i).rejectedIds());
      }
      // 32 characters per token: the five long rows are cut at 8 and 64 tokens; at 300 (9600 characters per
      // prompt + completion) every row fits
      assertThat(p.cutToBudget()).as("cut at %d", maxLength).isEqualTo(maxLength == 300 ? 0 : 5);
    }
  }

  @Test
  void aTwentyMegabytePromptOrCompletionIsPreparedAtOnce() {
    String huge = dev.zephyr.train.Prose.of(20_000_000, 6);
    java.util.List<JsonNode> rows = java.util.List.of(textPair(huge, " yes", " no"),
        textPair("Tell me everything.", " " + huge, " Nothing."), messagePair("Tell me more.", huge, "No."));
    long t0 = System.nanoTime();
    DpoData.Prepared p = DpoData.prepareCounted(rows, "big.jsonl", tok, 64);
    double seconds = (System.nanoTime() - t0) / 1e9;
    assertThat(seconds).as("seconds").isLessThan(2.0);
    assertThat(p.cutToBudget()).isEqualTo(3);
    assertThat(p.dropped()).as("the 20 MB prompt alone fills max_length").isEqualTo(1);
    assertThat(p.pairs()).hasSize(2);
    DpoExample second = p.pairs().get(0);
    assertThat(second.promptIds().length + second.chosenIds().length).isEqualTo(64);
    assertThat(second.rejectedIds()).isEqualTo(tok.splitPromptCompletionText("Tell me everything.", " Nothing.", true)
        .completionIds());
  }
}
