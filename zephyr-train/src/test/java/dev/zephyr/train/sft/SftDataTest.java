package dev.zephyr.train.sft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.zephyr.core.InvalidInputException;
import dev.zephyr.core.io.Json;
import dev.zephyr.core.testing.TestData;
import dev.zephyr.core.tokenizer.ChatTokenizer;
import dev.zephyr.core.tokenizer.LossMode;
import dev.zephyr.core.tokenizer.Tokenizer;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** SFT data preparation with the Zephyr tokenizer and chat template from testdata/. */
class SftDataTest {
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

  static JsonNode row(String json) {
    try {
      return Json.mapper().readTree(json);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  static final String CHAT = """
      {"messages": [{"role": "system", "content": ""}, {"role": "user", "content": "Hi there"},
        {"role": "assistant", "content": "Hello! How can I help?"}]}""";

  @Test
  void messagesLossOnAllTokensOrAssistantOnly() {
    SftSequence all = SftData.tokenize(row(CHAT), "t", 1, tok, LossMode.ALL);
    SftSequence asst = SftData.tokenize(row(CHAT), "t", 1, tok, LossMode.ASSISTANT_ONLY);
    assertThat(all.inputIds()).isEqualTo(asst.inputIds());
    assertThat(java.util.Arrays.stream(all.lossMask()).sum()).isEqualTo(all.length());
    int asstTokens = java.util.Arrays.stream(asst.lossMask()).sum();
    assertThat(asstTokens).isGreaterThan(3).isLessThan(all.length() / 2 + 5);
    // the assistant mask covers the end of the sequence (the reply and its </s>)
    assertThat(asst.lossMask()[asst.length() - 2]).isEqualTo(1);
    assertThat(asst.lossMask()[0]).isZero();
  }

  @Test
  void plainTextGetsEosAppendedAndPromptCompletionTrainsOnTheCompletion() {
    SftSequence text = SftData.tokenize(row("{\"text\": \"The sky is blue.\"}"), "t", 1, tok, LossMode.ALL);
    assertThat(text.inputIds()[text.length() - 1]).isEqualTo(tokenizer.eosTokenId().getAsInt());
    assertThat(text.inputIds()[0]).isEqualTo(tokenizer.bosTokenId().getAsInt());
    SftSequence pc = SftData.tokenize(row("{\"prompt\": \"The sky is\", \"completion\": \" blue.\"}"), "t", 1, tok,
        LossMode.COMPLETION_ONLY);
    int prompt = tokenizer.encode("The sky is", true).length;
    for (int i = 0; i < pc.length(); i++) {
      assertThat(pc.lossMask()[i]).as("token %d", i).isEqualTo(i < prompt ? 0 : 1);
    }
    assertThat(pc.inputIds()[pc.length() - 1]).isEqualTo(tokenizer.eosTokenId().getAsInt());
  }

  @Test
  void keepStartTruncationDropsFullyMaskedExamplesWithACount() {
    List<JsonNode> rows = List.of(row(CHAT), row("{\"text\": \"one two three four five six seven eight\"}"));
    SftData.Prepared p = SftData.prepare(rows, "mem", tok, new SftData.Options(6, LossMode.ASSISTANT_ONLY, false));
    // the chat, cut to 6 tokens, keeps only the prompt part: no loss token, dropped; the text row is cut, kept
    assertThat(p.droppedFullyMasked()).isEqualTo(1);
    assertThat(p.truncated()).isEqualTo(2);
    assertThat(p.rows()).hasSize(1);
    assertThat(p.rows().get(0).length()).isEqualTo(6);
    assertThat(p.rows().get(0).inputIds()).containsExactly(
        java.util.Arrays.copyOf(tokenizer.encode("one two three four five six seven eight", true), 6));
  }

  @Test
  void badRowsNameTheLineAndField() {
    assertThatThrownBy(() -> SftData.prepare(List.of(row(CHAT), row("{\"chosen\": \"x\"}")), "data.jsonl", tok,
        new SftData.Options(64, LossMode.ALL, false)))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("data.jsonl:2").hasMessageContaining("'messages', 'prompt'+'completion' or 'text'");
    assertThatThrownBy(() -> SftData.tokenize(row("{\"messages\": [{\"content\": \"x\"}]}"), "d", 4, tok,
        LossMode.ALL)).hasMessageContaining("d:4").hasMessageContaining("'messages'");
  }
}
