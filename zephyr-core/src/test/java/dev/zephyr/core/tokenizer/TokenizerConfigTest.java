package dev.zephyr.core.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.zephyr.core.InvalidInputException;
import dev.zephyr.core.io.Json;
import dev.zephyr.core.testing.TestData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenizerConfigTest {
  @Test
  void zephyrConfigHasStringTokensAndTheUnboundedSentinel() {
    TokenizerConfig c = TokenizerConfig.load(TestData.path("tokenizers", "zephyr"));
    assertThat(c.bosToken()).isEqualTo("<s>");
    assertThat(c.eosToken()).isEqualTo("</s>");
    assertThat(c.padToken()).isEqualTo("</s>");
    assertThat(c.unkToken()).isEqualTo("<unk>");
    assertThat(c.unboundedLength()).isTrue();
    assertThat(c.addBosToken()).isTrue();
    assertThat(c.addEosToken()).isFalse();
    assertThat(c.paddingSide()).isEqualTo("left");
    assertThat(c.truncationSide()).isEqualTo("left");
    assertThat(c.chatTemplate()).hasValue(ChatTemplate.ZEPHYR_SOURCE);
  }

  @Test
  void deepseekConfigHasAddedTokenObjects() {
    TokenizerConfig c = TokenizerConfig.load(TestData.path("tokenizers", "deepseek_v3"));
    assertThat(c.bosToken()).isEqualTo("<｜begin▁of▁sentence｜>");
    assertThat(c.eosToken()).isEqualTo("<｜end▁of▁sentence｜>");
    assertThat(c.padToken()).isEqualTo("<｜end▁of▁sentence｜>");
    assertThat(c.unkToken()).isNull();
    assertThat(c.modelMaxLength()).hasValue(131072);
    assertThat(c.paddingSide()).isEqualTo("right");
  }

  @Test
  void headerConfigWithoutAddBosKey() {
    TokenizerConfig c = TokenizerConfig.load(TestData.path("tokenizers", "qwen3_headers"));
    assertThat(c.addBosToken()).isNull();
    assertThat(c.unboundedLength()).isTrue();
    assertThat(c.bosToken()).isEqualTo("<|text_start|>");
    assertThat(c.eosToken()).isEqualTo("<|turn_end|>");
  }

  @Test
  void namedTemplateListAndJinjaFileBeside(@TempDir Path dir) throws IOException {
    Files.writeString(dir.resolve("tokenizer_config.json"), """
        {"model_max_length": 1e30, "chat_template": [
          {"name": "default", "template": "A"}, {"name": "tool_use", "template": "B"}]}
        """);
    TokenizerConfig c = TokenizerConfig.load(dir);
    assertThat(c.chatTemplate()).hasValue("A");
    assertThat(c.chatTemplate("tool_use")).hasValue("B");
    assertThat(c.unboundedLength()).isTrue();
    Files.writeString(dir.resolve("chat_template.jinja"), "C");
    assertThat(TokenizerConfig.load(dir).chatTemplate()).hasValue("C");
    assertThat(TokenizerConfig.load(dir).chatTemplate("tool_use")).hasValue("B");
  }

  @Test
  void badFieldsNameTheField() throws IOException {
    JsonNode badToken = Json.mapper().readTree("{\"bos_token\": 3}");
    assertThatThrownBy(() -> TokenizerConfig.parse(badToken, "cfg.json"))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("cfg.json: field 'bos_token'");
    JsonNode badSide = Json.mapper().readTree("{\"padding_side\": \"middle\"}");
    assertThatThrownBy(() -> TokenizerConfig.parse(badSide, "cfg.json"))
        .hasMessageContaining("field 'padding_side'");
    JsonNode badTemplate = Json.mapper().readTree("{\"chat_template\": [{\"name\": \"x\"}]}");
    assertThatThrownBy(() -> TokenizerConfig.parse(badTemplate, "cfg.json"))
        .hasMessageContaining("field 'chat_template[0]'");
  }
}
