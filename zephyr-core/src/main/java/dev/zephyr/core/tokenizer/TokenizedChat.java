package dev.zephyr.core.tokenizer;

/**
 * A conversation rendered with its chat template and tokenized the way {@code apply_chat_template(tokenize=True,
 * return_assistant_tokens_mask=True)} does.
 *
 * @param rendered the rendered text
 * @param inputIds its token ids (no special tokens added beyond what the template writes)
 * @param assistantMask 1 for tokens of assistant turns (content and end-of-turn token), else 0
 * @param completionMask 1 for tokens from the start of the last assistant turn to the end, else 0
 */
public record TokenizedChat(String rendered, int[] inputIds, int[] assistantMask, int[] completionMask) {
  /** Label value that the loss ignores (PyTorch's and transformers' -100). */
  public static final int IGNORE_INDEX = -100;

  /** The 0/1 loss mask for a mode. */
  public int[] lossMask(LossMode mode) {
    return switch (mode) {
      case ALL -> filled(inputIds.length);
      case ASSISTANT_ONLY -> assistantMask.clone();
      case COMPLETION_ONLY -> completionMask.clone();
    };
  }

  /** Labels for causal-LM training: the input id where the mode's mask is 1, else {@link #IGNORE_INDEX}. */
  public int[] labels(LossMode mode) {
    int[] mask = lossMask(mode);
    int[] labels = new int[inputIds.length];
    for (int i = 0; i < labels.length; i++) {
      labels[i] = mask[i] == 1 ? inputIds[i] : IGNORE_INDEX;
    }
    return labels;
  }

  /** Number of tokens with assistant mask 1. */
  public int assistantTokenCount() {
    int n = 0;
    for (int m : assistantMask) {
      n += m;
    }
    return n;
  }

  private static int[] filled(int n) {
    int[] a = new int[n];
    java.util.Arrays.fill(a, 1);
    return a;
  }
}
