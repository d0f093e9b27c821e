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
import dev.zephyr.train.Prose;
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

  static JsonNode messagesRow(String... roleContent) {
    com.fasterxml.jackson.databind.node.ObjectNode row = Json.mapper().createObjectNode();
    com.fasterxml.jackson.databind.node.ArrayNode msgs = row.putArray("messages");
    for (int i = 0; i < roleContent.length; i += 2) {
      msgs.addObject().put("role", roleContent[i]).put("content", roleContent[i + 1]);
    }
    return row;
  }

  /** What preparation gives without any character budget: the whole row tokenized, then keep_start, then the drop. */
  static List<SftSequence> unbounded(List<JsonNode> rows, LossMode mode, int maxLength) {
    List<SftSequence> out = new java.util.ArrayList<>();
    for (int i = 0; i < rows.size(); i++) {
      SftSequence s = SftData.tokenize(rows.get(i), "t", i + 1, tok, mode);
      s = s.length() > maxLength ? SftData.keepStart(s, maxLength) : s;
      if (s.lossTokens() > 0) {
        out.add(s);
      }
    }
    return out;
  }

  @Test
  void rowsCutToTheCharacterBudgetGiveExactlyTheTokensOfTheWholeRow() {
    String longA = Prose.of(9000, 1);
    String longB = Prose.of(7000, 2);
    com.fasterxml.jackson.databind.node.ObjectNode pcText = Json.mapper().createObjectNode()
        .put("prompt", longA).put("completion", " " + longB);
    com.fasterxml.jackson.databind.node.ObjectNode pcTextShortPrompt = Json.mapper().createObjectNode()
        .put("prompt", "Tell me a story.").put("completion", " " + longB);
    com.fasterxml.jackson.databind.node.ObjectNode pcMessages = Json.mapper().createObjectNode();
    pcMessages.set("prompt", messagesRow("user", "Summarise: " + longA).get("messages"));
    pcMessages.set("completion", messagesRow("assistant", longB).get("messages"));
    List<JsonNode> rows = List.of(
        row("{\"text\": " + Json.mapper().valueToTree(longA) + "}"),
        messagesRow("system", "", "user", longA, "assistant", longB),
        messagesRow("user", "Hi", "assistant", longB, "user", longA, "assistant", "Bye."),
        messagesRow("user", "Short question?", "assistant", "Short answer."),
        pcText, pcTextShortPrompt, pcMessages);
    // rows over 32 characters per token of max_length are cut: all six long ones at 8 and 64 tokens; at 300 (9600
    // characters) the 9000-character text and the short prompt with its 7001-character completion fit
    java.util.Map<Integer, Integer> cutRows = java.util.Map.of(8, 6, 64, 6, 300, 4);
    for (LossMode mode : LossMode.values()) {
      for (int maxLength : List.of(8, 64, 300)) {
        SftData.Prepared p = SftData.prepare(rows, "mem", tok, new SftData.Options(maxLength, mode, false));
        List<SftSequence> expected = unbounded(rows, mode, maxLength);
        assertThat(p.rows()).as("%s max_length %d", mode, maxLength).hasSameSizeAs(expected);
        for (int i = 0; i < expected.size(); i++) {
          assertThat(p.rows().get(i).inputIds()).as("%s %d row %d", mode, maxLength, i)
              .isEqualTo(expected.get(i).inputIds());
          assertThat(p.rows().get(i).lossMask()).as("%s %d row %d mask", mode, maxLength, i)
              .isEqualTo(expected.get(i).lossMask());
        }
        assertThat(p.cutToBudget()).as("%s %d cut", mode, maxLength).isEqualTo(cutRows.get(maxLength));
      }
    }
  }

  @Test
  void aTwentyMegabyteRowWithMaxLength64IsPreparedAtOnce() {
    String huge = Prose.of(20_000_000, 3);
    JsonNode text = Json.mapper().createObjectNode().put("text", huge);
    JsonNode chat = messagesRow("user", huge, "assistant", "Fine.");
    long t0 = System.nanoTime();
    SftData.Prepared p = SftData.prepare(List.of(text, chat), "big.jsonl", tok,
        new SftData.Options(64, LossMode.ALL, false));
    double seconds = (System.nanoTime() - t0) / 1e9;
    // tokenising 40 MB took minutes before the budget; the cut rows cost about as much as 2048 characters each
    assertThat(seconds).as("seconds").isLessThan(2.0);
    assertThat(p.cutToBudget()).isEqualTo(2);
    assertThat(p.truncated()).isEqualTo(2);
    assertThat(p.rows()).hasSize(2);
    assertThat(p.rows().get(0).inputIds())
        .isEqualTo(java.util.Arrays.copyOf(tokenizer.encode(huge.substring(0, 5000), true), 64));
  }

  @Test
  void repetitiveRowsWithLongTokensStillKeepTheWholeRowsTokens() {
    // runs of one character tokenise into few, long tokens: if a cut leaves too few, the row is redone with twice
    // the budget
    List<JsonNode> rows = List.of(Json.mapper().createObjectNode().put("text", " ".repeat(4000) + "end"),
        Json.mapper().createObjectNode().put("text", "=".repeat(4000)),
        messagesRow("user", "-".repeat(3000), "assistant", "*".repeat(3000)));
    for (int maxLength : List.of(2, 16)) {
      SftData.Prepared p = SftData.prepare(rows, "rep", tok, new SftData.Options(maxLength, LossMode.ALL, false));
      List<SftSequence> expected = unbounded(rows, LossMode.ALL, maxLength);
      assertThat(p.rows()).hasSameSizeAs(expected);
      for (int i = 0; i < expected.size(); i++) {
        assertThat(p.rows().get(i).inputIds()).as("%d row %d", maxLength, i).isEqualTo(expected.get(i).inputIds());
      }
    }
  }
}
