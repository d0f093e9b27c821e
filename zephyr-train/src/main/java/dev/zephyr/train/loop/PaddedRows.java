package dev.zephyr.train.loop;

import java.util.Arrays;
import java.util.List;

/**
 * Token rows laid out for one decoder forward ({@link DecoderGraph#forward(dev.zephyr.core.model.LlamaModel,
 * PaddedRows, boolean)}): ids and position ids {@code [rows * length]} (0 on padding), document ids
 * {@code [rows][length]} (the document of each token, -1 on padding, as {@link CausalLm#attentionBias} expects) and the
 * number of real tokens.
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

  /** Real tokens of each row (those with a document id). */
  public int[] rowLengths() {
    int[] out = new int[rows];
    for (int r = 0; r < rows; r++) {
      for (int d : docIds[r]) {
        out[r] += d >= 0 ? 1 : 0;
      }
    }
    return out;
  }
}
