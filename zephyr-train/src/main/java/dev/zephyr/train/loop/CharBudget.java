package dev.zephyr.train.loop;

import dev.zephyr.core.chat.Message;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A character budget that data preparation spends on a row's text, in order, before tokenising it, so that a huge row
 * (one 20 MB text with {@code max_length: 64}) costs no more than a row of a few times {@code max_length} tokens.
 *
 * <p>The first budget is {@value #CHARS_PER_TOKEN} characters per token of {@code max_length}, far more than any
 * tokenizer's average, so the tokens that keep_start truncation keeps all come from text before the cut, and a row is
 * the same as without the budget. A row that does not fit is cut; its caller checks that the cut text still gave
 * more than {@code max_length + }{@value #MARGIN_TOKENS} tokens and otherwise prepares it again with
 * {@linkplain #doubled() twice the budget}. A row shorter than the budget is never touched.
 *
 * <p>Message lists keep every message, with its role, in order: a message past the budget keeps its first character
 * rather than becoming empty, because chat templates treat empty content differently (some skip the turn, and an
 * assistant turn rendered as no text fails the assistant-mask check), which a cut must not change.
 */
public final class CharBudget {
  /** Characters of budget per token of {@code max_length}. */
  public static final int CHARS_PER_TOKEN = 32;
  /** Tokens beyond {@code max_length} a cut row must still have, so the cut cannot reach a kept token. */
  public static final int MARGIN_TOKENS = 8;

  private final long total;
  private long left;
  private boolean cut;

  private CharBudget(long total) {
    this.total = total;
    this.left = total;
  }

  /** The first budget for rows of at most {@code maxLength} tokens. */
  public static CharBudget forMaxLength(int maxLength) {
    return new CharBudget(charsFor(maxLength));
  }

  /** Characters in the first budget for {@code maxLength} tokens. */
  public static long charsFor(int maxLength) {
    return Math.max(1, (long) maxLength) * CHARS_PER_TOKEN;
  }

  /** A fresh budget of {@code chars} characters. */
  public static CharBudget of(long chars) {
    return new CharBudget(chars);
  }

  /** A fresh budget twice this one's size, for a row whose cut text gave too few tokens. */
  public CharBudget doubled() {
    return new CharBudget(total * 2);
  }

  /** A fresh budget of what this one has left: a second text that follows the same prefix (DPO's two completions). */
  public CharBudget remainder() {
    return new CharBudget(left);
  }

  /** True when some text did not fit and was cut. */
  public boolean cut() {
    return cut;
  }

  /** Characters not yet spent. */
  public long left() {
    return left;
  }

  /** {@code text} whole when it fits, else its first characters up to the budget (never splitting a surrogate pair). */
  public String take(String text) {
    return take(text, 0);
  }

  /** As {@link #take(String)}, keeping at least {@code atLeast} characters of a text that has them. */
  public String take(String text, int atLeast) {
    if (text.length() <= left) {
      left -= text.length();
      return text;
    }
    cut = true;
    int keep = (int) Math.max(left, Math.min(atLeast, text.length()));
    if (keep > 0 && keep < text.length() && Character.isHighSurrogate(text.charAt(keep - 1))) {
      keep++; // one character over the budget rather than half a code point
    }
    left = Math.max(0, left - keep);
    return text.substring(0, keep);
  }

  /** Messages with their contents taken in order; each non-empty content keeps at least one character. */
  public List<Message> takeMessages(List<Message> messages) {
    List<Message> out = new ArrayList<>(messages.size());
    for (Message m : messages) {
      out.add(new Message(m.role(), take(m.content(), 1)));
    }
    return out;
  }

  /**
   * Messages as maps ({@code role}, {@code content}, anything else kept as is) with their string contents taken in
   * order; each non-empty content keeps at least one character.
   */
  public List<Map<String, Object>> takeContents(List<Map<String, Object>> messages) {
    List<Map<String, Object>> out = new ArrayList<>(messages.size());
    for (Map<String, Object> m : messages) {
      if (m.get("content") instanceof String content) {
        Map<String, Object> copy = new LinkedHashMap<>(m);
        copy.put("content", take(content, 1));
        out.add(copy);
      } else {
        out.add(m);
      }
    }
    return out;
  }

  /** Whether a row cut to this budget still has enough tokens: more than {@code maxLength + MARGIN_TOKENS}. */
  public static boolean enoughTokens(long tokens, int maxLength) {
    return tokens > (long) maxLength + MARGIN_TOKENS;
  }
}
