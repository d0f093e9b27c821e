package dev.zephyr.core.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.zephyr.core.InvalidInputException;
import dev.zephyr.core.testing.TestData;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenizerTest {
  static Tokenizer zephyr;

  @BeforeAll
  static void load() {
    zephyr = Tokenizer.load(TestData.path("tokenizers", "zephyr"));
  }

  @AfterAll
  static void close() {
    zephyr.close();
  }

  @Test
  void vocabularyAndSpecialTokens() {
    assertThat(zephyr.vocabSize()).isEqualTo(32000);
    assertThat(zephyr.bosTokenId()).hasValue(1);
    assertThat(zephyr.eosTokenId()).hasValue(2);
    assertThat(zephyr.padTokenId()).hasValue(2);
    assertThat(zephyr.tokenToId("▁Hello")).isPresent();
    assertThat(zephyr.idToToken(zephyr.tokenToId("▁Hello").getAsInt())).hasValue("▁Hello");
    assertThat(zephyr.idToToken(2)).hasValue("</s>");
    assertThat(zephyr.idToToken(32000)).isEmpty();
    assertThat(zephyr.tokenToId("no-such-token")).isEmpty();
  }

  @Test
  void specialTokensAreExplicitAndDecodeCanSkipThem() {
    int[] plain = zephyr.encode("Hello world", false);
    int[] withBos = zephyr.encode("Hello world", true);
    assertThat(withBos[0]).isEqualTo(1);
    assertThat(withBos).hasSize(plain.length + 1);
    assertThat(zephyr.decode(withBos, false)).isEqualTo("<s> Hello world");
    assertThat(zephyr.decode(withBos, true)).isEqualTo("Hello world");
  }

  @Test
  void noTruncationAndNoPadding() {
    String longText = "word ".repeat(3000);
    int[] ids = zephyr.encode(longText, false);
    assertThat(ids.length).isGreaterThan(3000);
    List<int[]> batch = zephyr.encodeBatch(List.of("a", longText, "b c"), false);
    assertThat(batch.get(0)).containsExactly(zephyr.encode("a", false));
    assertThat(batch.get(1)).containsExactly(ids);
    assertThat(batch.get(2)).containsExactly(zephyr.encode("b c", false));
  }

  @Test
  void offsetsAreJavaStringIndices() {
    String text = "a😀b é";
    Tokenizer.Encoded e = zephyr.encodeWithOffsets(text, true);
    assertThat(e.starts()[0]).isEqualTo(-1); // post-processor BOS has no text
    // The token covering "b" must start at Java index 3 (the emoji is two UTF-16 units), not code point 2.
    boolean found = false;
    for (int i = 0; i < e.ids().length; i++) {
      if (e.starts()[i] >= 0 && text.substring(e.starts()[i], e.ends()[i]).equals("b")) {
        assertThat(e.starts()[i]).isEqualTo(3);
        found = true;
      }
    }
    assertThat(found).isTrue();
  }

  @Test
  void missingTokenizerJsonIsATypedError(@TempDir Path dir) {
    assertThatThrownBy(() -> Tokenizer.load(dir))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("tokenizer.json");
  }
}
