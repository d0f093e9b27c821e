package dev.zephyr.core.tokenizer;

import dev.zephyr.core.ZephyrException;

/**
 * Tokenization produced a sequence that would silently corrupt training: a doubled BOS, or prompt ids that are not a
 * prefix of the jointly tokenized prompt+completion. The message shows the token sequences involved.
 */
public class TokenizationException extends ZephyrException {
  public TokenizationException(String message) {
    super(message);
  }
}
