package dev.zephyr.train.sft;

/**
 * One training row for causal-LM SFT: token ids, a 0/1 loss mask per token (1 = this token is a label), position ids,
 * and document ids (0, 1, ... per packed document). An unpacked example has one document with positions 0..n-1.
 */
public record SftSequence(int[] inputIds, int[] lossMask, int[] positionIds, int[] docIds) {

  public SftSequence {
    int n = inputIds.length;
    if (lossMask.length != n || positionIds.length != n || docIds.length != n) {
      throw new IllegalArgumentException("input_ids, loss mask, position ids and document ids differ in length");
    }
  }

  /** A single-document row. */
  public static SftSequence of(int[] inputIds, int[] lossMask) {
    int[] pos = new int[inputIds.length];
    for (int i = 0; i < pos.length; i++) {
      pos[i] = i;
    }
    return new SftSequence(inputIds, lossMask, pos, new int[inputIds.length]);
  }

  public int length() {
    return inputIds.length;
  }

  /**
   * Tokens that count in the loss: masked-in tokens that are predicted from a token of the same document (the first
   * token of a document is never a target, as in an unpacked row).
   */
  public int lossTokens() {
    int n = 0;
    for (int i = 1; i < inputIds.length; i++) {
      if (lossMask[i] == 1 && docIds[i] == docIds[i - 1]) {
        n++;
      }
    }
    return n;
  }
}
