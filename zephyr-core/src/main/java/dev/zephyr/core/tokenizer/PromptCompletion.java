package dev.zephyr.core.tokenizer;

/**
 * A prompt and a completion tokenized jointly and split at the prompt boundary, so that {@code promptIds} followed by
 * {@code completionIds} is exactly the tokenization of the joint text (plus EOS when it was appended).
 *
 * @param promptIds ids of the prompt (as a prefix of the joint ids)
 * @param completionIds ids of the completion
 * @param eosAppended whether an EOS id was appended because the completion did not end with one
 */
public record PromptCompletion(int[] promptIds, int[] completionIds, boolean eosAppended) {
  /** Prompt and completion ids concatenated. */
  public int[] inputIds() {
    int[] out = new int[promptIds.length + completionIds.length];
    System.arraycopy(promptIds, 0, out, 0, promptIds.length);
    System.arraycopy(completionIds, 0, out, promptIds.length, completionIds.length);
    return out;
  }

  /** 0 for prompt tokens, 1 for completion tokens. */
  public int[] completionMask() {
    int[] mask = new int[promptIds.length + completionIds.length];
    java.util.Arrays.fill(mask, promptIds.length, mask.length, 1);
    return mask;
  }
}
