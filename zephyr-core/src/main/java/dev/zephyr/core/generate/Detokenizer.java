package dev.zephyr.core.generate;

/**
 * Turns token ids back into text; a tokenizer's {@code decode} method plugs in as {@code tokenizer::decode}. Used for
 * stop strings, completion text and the token strings of log-probs.
 */
@FunctionalInterface
public interface Detokenizer {
  String decode(int[] ids);

  /**
   * Stand-in until a tokenizer is available: ids as decimal numbers joined by single spaces ({@code "5 9 12"}), each
   * followed by a space so concatenated pieces stay readable.
   */
  static Detokenizer tokenIds() {
    return ids -> {
      StringBuilder sb = new StringBuilder();
      for (int id : ids) {
        sb.append(id).append(' ');
      }
      return sb.toString();
    };
  }
}
