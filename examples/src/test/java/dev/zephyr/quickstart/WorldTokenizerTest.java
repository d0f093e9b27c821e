package dev.zephyr.quickstart;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import dev.zephyr.core.io.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WorldTokenizerTest {
  @TempDir static Path dir;
  static WorldTokenizer trained;
  static List<String> texts;

  @BeforeAll
  static void train() {
    texts = new ArrayList<>(PretrainingCorpus.documents(1, 200, 6));
    for (Task t : InstructionWorld.tasks(1, 400)) {
      texts.add(QuickstartWorld.chatText(t.prompt(), t.reference()));
    }
    trained = WorldTokenizer.train(texts, 200);
    trained.save(dir, 256);
  }

  @Test
  void vocabularyIsAFewHundredTokensWithSpecialsFirst() {
    assertThat(trained.vocabSize()).isEqualTo(7 + 256 + 200);
    assertThat(trained.tokenId("<unk>")).isZero();
    assertThat(trained.tokenId("<s>")).isEqualTo(1);
    assertThat(trained.tokenId("</s>")).isEqualTo(2);
    assertThat(trained.tokenId("<pad>")).isEqualTo(3);
    assertThat(trained.tokenId("<|assistant|>")).isEqualTo(6);
  }

  @Test
  void djlLoadsItAndRoundTripsEveryWorldTextExactly() throws Exception {
    try (HuggingFaceTokenizer tok = HuggingFaceTokenizer.newInstance(dir)) {
      List<String> all = new ArrayList<>();
      InstructionWorld.Split split = InstructionWorld.split(1, 400, 100);
      for (Task t : split.train()) {
        all.add(t.prompt());
        all.add(t.reference());
      }
      for (Task t : split.heldOut()) {
        all.add(t.prompt());
        all.add(t.reference());
      }
      all.addAll(PretrainingCorpus.documents(2, 20, 6));
      long tokens = 0;
      for (String s : all) {
        Encoding e = tok.encode(s);
        long[] ids = e.getIds();
        assertThat(ids[0]).as("BOS first").isEqualTo(1);
        assertThat(ids).doesNotContain(0L);
        assertThat(tok.decode(ids, true)).isEqualTo(s);
        tokens += ids.length;
      }
      // Merges make the world's text compact: well under one token per character.
      long chars = all.stream().mapToLong(String::length).sum();
      assertThat((double) tokens / chars).isLessThan(0.5);

      // Chat markers and EOS are single tokens; digits are split one by one.
      String chat = QuickstartWorld.chatText("What is 123 plus 4?", "The answer is 127.");
      long[] ids = tok.encode(chat).getIds();
      assertThat(ids).contains(5L, 6L, 2L);
      assertThat(tok.decode(ids, false)).isEqualTo("<s>" + chat);
      assertThat(tok.tokenize("123")).containsExactly("<s>", "1", "2", "3");
    }
  }

  @Test
  void configCarriesTheZephyrChatTemplateAndSpecialTokens() throws Exception {
    JsonNode c = Json.mapper().readTree(dir.resolve("tokenizer_config.json").toFile());
    assertThat(c.get("chat_template").asText()).startsWith("{% for message in messages %}\n")
        .contains("{{ '<|assistant|>\n'  + message['content'] + eos_token }}");
    assertThat(c.get("eos_token").asText()).isEqualTo("</s>");
    assertThat(c.get("pad_token").asText()).isEqualTo("<pad>");
    assertThat(c.get("added_tokens_decoder").get("5").get("content").asText()).isEqualTo("<|user|>");
    assertThat(dir.resolve("special_tokens_map.json")).exists();
  }

  @Test
  void trainingIsDeterministic(@TempDir Path other) throws Exception {
    WorldTokenizer.train(texts, 200).save(other, 256);
    assertThat(Files.readString(other.resolve("tokenizer.json")))
        .isEqualTo(Files.readString(dir.resolve("tokenizer.json")));
  }
}
