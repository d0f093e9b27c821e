package dev.zephyr.core.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.zephyr.core.chat.Message;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A tiny BPE tokenizer whose one merge ("a" + "b" -> "ab") joins the last prompt character with the first completion
 * character: tokenizing prompt and completion separately would disagree with tokenizing them jointly.
 */
class BoundaryMergeTest {
  static final String TOKENIZER_JSON = """
      {"version": "1.0", "truncation": null, "padding": null,
       "added_tokens": [{"id": 0, "content": "</s>", "single_word": false, "lstrip": false, "rstrip": false,
                         "normalized": false, "special": true}],
       "normalizer": null, "pre_tokenizer": null, "post_processor": null, "decoder": null,
       "model": {"type": "BPE", "dropout": null, "unk_token": null, "continuing_subword_prefix": null,
                 "end_of_word_suffix": null, "fuse_unk": false, "byte_fallback": false,
                 "vocab": {"</s>": 0, "a": 1, "b": 2, "x": 3, "y": 4, "ab": 5, ":": 6},
                 "merges": ["a b"]}}
      """;
  static final String CONFIG_JSON = """
      {"eos_token": "</s>", "model_max_length": 16,
       "chat_template": "{% for m in messages %}{{ m['content'] }}{% endfor %}"}
      """;

  static Tokenizer load(Path dir) throws IOException {
    Files.writeString(dir.resolve("tokenizer.json"), TOKENIZER_JSON);
    Files.writeString(dir.resolve("tokenizer_config.json"), CONFIG_JSON);
    return Tokenizer.load(dir);
  }

  @Test
  void mergeAcrossTheBoundaryIsAnErrorShowingBothSequences(@TempDir Path dir) throws IOException {
    try (Tokenizer tok = load(dir)) {
      assertThat(tok.encode("xa", false)).containsExactly(3, 1);
      assertThat(tok.encode("xaby", false)).containsExactly(3, 5, 4);
      ChatTokenizer chat = ChatTokenizer.of(tok);
      assertThatThrownBy(() -> chat.splitPromptCompletionText("xa", "by", false))
          .isInstanceOf(TokenizationException.class)
          .hasMessageContaining("prompt: [3=x, 1=a]")
          .hasMessageContaining("joint:  [3=x, 5=ab, 4=y]");
      assertThatThrownBy(() -> chat.splitPromptCompletion(List.of(Message.user("xa")),
          List.of(Message.assistant("by"))))
          .isInstanceOf(TokenizationException.class)
          .hasMessageContaining("not a prefix");
    }
  }

  @Test
  void warningPolicySlicesTheJointIdsLikeTrl(@TempDir Path dir) throws IOException {
    try (Tokenizer tok = load(dir)) {
      PromptCompletion pc = ChatTokenizer.of(tok).withBoundaryPolicy(ChatTokenizer.Policy.WARN)
          .splitPromptCompletionText("xa", "by", false);
      // The joint sequence is kept intact; the prompt takes its first two ids.
      assertThat(pc.promptIds()).containsExactly(3, 5);
      assertThat(pc.completionIds()).containsExactly(4, 0);
      assertThat(pc.eosAppended()).isTrue();
      assertThat(pc.completionMask()).containsExactly(0, 0, 1, 1);
    }
  }

  @Test
  void noMergeSplitsCleanly(@TempDir Path dir) throws IOException {
    try (Tokenizer tok = load(dir)) {
      PromptCompletion pc = ChatTokenizer.of(tok).splitPromptCompletionText("x:", "ab</s>", false);
      assertThat(pc.promptIds()).containsExactly(3, 6);
      assertThat(pc.completionIds()).containsExactly(5, 0);
      assertThat(pc.eosAppended()).isFalse();
      assertThat(tok.vocabSize()).isEqualTo(7);
      assertThat(tok.config().modelMaxLength()).hasValue(16);
    }
  }
}
