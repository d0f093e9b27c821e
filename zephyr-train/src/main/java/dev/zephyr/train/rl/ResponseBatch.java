package dev.zephyr.train.rl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.zephyr.train.loop.PaddedRows;
import java.util.ArrayList;
import java.util.List;

/**
 * Query-response rows laid out for one decoder forward, and where each response position sits in it. Rows are
 * {@code query ++ response}, right-padded; response position {@code t} of row {@code b} (out of {@code width}) is read
 * from the hidden state just before it, at {@code |query_b| - 1 + t}, as TRL slices
 * {@code logits[:, context_length - 1 : -1]}. Positions past a row's end read its last token: they are masked out.
 */
public final class ResponseBatch {
  private final List<int[]> queries;
  private final List<int[]> responses;
  private final int width;
  private final PaddedRows rows;

  public ResponseBatch(List<int[]> queries, List<int[]> responses, int width) {
    if (queries.size() != responses.size()) {
      throw new IllegalArgumentException(queries.size() + " queries but " + responses.size() + " responses");
    }
    this.queries = List.copyOf(queries);
    this.responses = List.copyOf(responses);
    this.width = width;
    List<int[]> seqs = new ArrayList<>(queries.size());
    for (int b = 0; b < queries.size(); b++) {
      seqs.add(concat(queries.get(b), responses.get(b)));
    }
    this.rows = PaddedRows.of(seqs);
  }

  /** {@code query ++ response}. */
  public static int[] concat(int[] query, int[] response) {
    int[] s = java.util.Arrays.copyOf(query, query.length + response.length);
    System.arraycopy(response, 0, s, query.length, response.length);
    return s;
  }

  public PaddedRows rows() {
    return rows;
  }

  public int size() {
    return queries.size();
  }

  public int width() {
    return width;
  }

  /** Flat indices {@code [B * width]} into hidden states reshaped to {@code [B * T, H]}. */
  public NDArray hiddenIndex(NDManager m) {
    long[] idx = new long[size() * width];
    for (int b = 0; b < size(); b++) {
      int q = queries.get(b).length;
      int last = q + responses.get(b).length - 1;
      for (int t = 0; t < width; t++) {
        idx[b * width + t] = (long) b * rows.length() + Math.min(q - 1 + t, last);
      }
    }
    return m.create(idx);
  }

  /** The response tokens {@code [B * width, 1]}, 0 past each response's end. */
  public NDArray targets(NDManager m) {
    long[] ids = new long[size() * width];
    for (int b = 0; b < size(); b++) {
      int[] r = responses.get(b);
      for (int t = 0; t < Math.min(r.length, width); t++) {
        ids[b * width + t] = r[t];
      }
    }
    return m.create(ids, new Shape(size() * (long) width, 1));
  }

  /** 1 where {@code t < |response_b| + extra}, else 0, shape {@code [B, width]}. */
  public NDArray mask(NDManager m, int extra) {
    float[] mask = new float[size() * width];
    for (int b = 0; b < size(); b++) {
      int n = Math.min(width, responses.get(b).length + extra);
      for (int t = 0; t < n; t++) {
        mask[b * width + t] = 1f;
      }
    }
    return m.create(mask, new Shape(size(), width));
  }
}
