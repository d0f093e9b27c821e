package dev.zephyr.train.loop;

import java.util.Arrays;
import java.util.List;

/**
 * Sequences laid out as right-padded rows for one forward: ids and position ids {@code [rows * length]} (0 on
 * padding), document ids {@code [rows][length]} (0 on tokens, -1 on padding, as {@link CausalLm#attentionBias}
 * expects) and the number of real tokens.
 */
public record PaddedRows(int rows, int length, long[] ids, long[] positions, int[][] docIds, long tokens) {

  /** One row per sequence, in order, padded to the longest. */
  public static PaddedRows of(List<int[]> sequences) {
    int rows = sequences.size();
    int length = 0;
    for (int[] s : sequences) {
      length = Math.max(length, s.length);
    }
    long[] ids = new long[rows * length];
    long[] pos = new long[rows * length];
    int[][] doc = new int[rows][length];
    long tokens = 0;
    for (int row = 0; row < rows; row++) {
      int[] seq = sequences.get(row);
      Arrays.fill(doc[row], -1);
      for (int k = 0; k < seq.length; k++) {
        ids[row * length + k] = seq[k];
        pos[row * length + k] = k;
        doc[row][k] = 0;
      }
      tokens += seq.length;
    }
    return new PaddedRows(rows, length, ids, pos, doc, tokens);
  }
}
