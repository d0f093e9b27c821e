package dev.zephyr.train.loop;

import static org.assertj.core.api.Assertions.assertThat;

import dev.zephyr.core.chat.Message;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CharBudgetTest {

  @Test
  void textThatFitsIsKeptWholeAndTheRestIsCutInOrder() {
    CharBudget b = CharBudget.of(10);
    assertThat(b.take("abcd")).isEqualTo("abcd");
    assertThat(b.cut()).isFalse();
    assertThat(b.left()).isEqualTo(6);
    assertThat(b.take("0123456789")).isEqualTo("012345");
    assertThat(b.cut()).isTrue();
    assertThat(b.take("more")).isEmpty();
    assertThat(b.take("more", 1)).as("a message keeps one character").isEqualTo("m");
    assertThat(b.take("", 1)).isEmpty();
    assertThat(CharBudget.forMaxLength(64).left()).isEqualTo(64 * 32);
    assertThat(CharBudget.forMaxLength(64).doubled().left()).isEqualTo(2 * 64 * 32);
  }

  @Test
  void aCutNeverSplitsASurrogatePair() {
    String emoji = "ab\uD83D\uDE00cd"; // a, b, one code point in two chars, c, d
    assertThat(CharBudget.of(3).take(emoji)).isEqualTo("ab\uD83D\uDE00");
    assertThat(CharBudget.of(2).take(emoji)).isEqualTo("ab");
  }

  @Test
  void messagesKeepTheirRolesOrderAndAtLeastOneCharacter() {
    CharBudget b = CharBudget.of(5);
    List<Message> out = b.takeMessages(List.of(Message.user("hello world"), Message.assistant("fine"),
        Message.user("")));
    assertThat(out).containsExactly(Message.user("hello"), Message.assistant("f"), Message.user(""));
    List<Map<String, Object>> maps = CharBudget.of(3).takeContents(List.of(
        Map.of("role", "user", "content", "abcdef", "name", "x"), Map.of("role", "tool", "content", List.of(1))));
    assertThat(maps.get(0)).containsEntry("content", "abc").containsEntry("name", "x");
    assertThat(maps.get(1)).containsEntry("content", List.of(1));
  }

  @Test
  void theRemainderIsAFreshBudgetOfWhatIsLeft() {
    CharBudget b = CharBudget.of(10);
    b.take("1234567");
    CharBudget rest = b.remainder();
    assertThat(rest.left()).isEqualTo(3);
    assertThat(rest.cut()).isFalse();
    assertThat(rest.take("abcdef")).isEqualTo("abc");
    assertThat(CharBudget.enoughTokens(64 + 9, 64)).isTrue();
    assertThat(CharBudget.enoughTokens(64 + 8, 64)).isFalse();
  }
}
