package dev.zephyr.core.tokenizer;

/** Which tokens of a tokenized conversation the SFT loss is computed on. */
public enum LossMode {
  /** Every token, as the original Zephyr dSFT run did (packed text, loss on system, user and assistant turns). */
  ALL,
  /** Tokens of assistant turns only, end-of-turn token included (TRL {@code assistant_only_loss=True}). */
  ASSISTANT_ONLY,
  /** Tokens of the final assistant turn only (TRL's prompt-completion {@code completion_only_loss}). */
  COMPLETION_ONLY
}
