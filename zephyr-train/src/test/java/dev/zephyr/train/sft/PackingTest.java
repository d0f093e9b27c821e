package dev.zephyr.train.sft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import dev.zephyr.core.model.LlamaModel;
import dev.zephyr.train.TinyModels;
import dev.zephyr.train.loop.PaddedRows;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class PackingTest {

  static SftSequence seq(Random r, int n, int vocab) {
    int[] ids = new int[n];
    int[] mask = new int[n];
    for (int i = 0; i < n; i++) {
      ids[i] = 3 + r.nextInt(vocab - 3);
      mask[i] = i >= n / 3 ? 1 : 0; // a prompt part without loss
    }
    return SftSequence.of(ids, mask);
  }

  @Test
  void bestFitDecreasingFillsTheTightestBin() {
    Random r = new Random(1);
    // lengths 7, 6, 5, 4, 3, 2, capacity 10: 7 -> A(3 left), 6 -> B(4), 5 -> C(5), 4 -> B(0), 3 -> A(0), 2 -> C(3)
    List<SftSequence> in = new ArrayList<>();
    for (int n : new int[] {3, 7, 2, 5, 4, 6}) {
      in.add(seq(r, n, 50));
    }
    List<SftSequence> bins = Packing.bestFitDecreasing(in, 10);
    assertThat(bins).hasSize(3);
    assertThat(bins.stream().map(SftSequence::length).toList()).containsExactly(10, 10, 7);
    SftSequence a = bins.get(0);
    // first bin: the 7-token document then the 3-token one, positions restart, doc ids 0 then 1
    assertThat(a.positionIds()).containsExactly(0, 1, 2, 3, 4, 5, 6, 0, 1, 2);
    assertThat(a.docIds()).containsExactly(0, 0, 0, 0, 0, 0, 0, 1, 1, 1);
    assertThat(a.inputIds()[7]).isEqualTo(in.get(0).inputIds()[0]);
    // the first token of the second document is not a target (it would be predicted across documents)
    int expected = in.get(1).lossTokens() + in.get(0).lossTokens();
    assertThat(a.lossTokens()).isEqualTo(expected);
  }

  @Test
  void perExampleLossPackedEqualsUnpacked() {
    int vocab = 64;
    Random r = new Random(7);
    List<SftSequence> docs = new ArrayList<>();
    for (int n : new int[] {9, 5, 12, 4, 7, 3}) {
      docs.add(seq(r, n, vocab));
    }
    try (NDManager m = NDManager.newBaseManager(); LlamaModel model = TinyModels.random(m, vocab, 3);
        NDScope scope = new NDScope()) {
      scope.suppressNotUsedWarning();
      SftTask task = new SftTask(model, 4);
      // unpacked: each document alone, right-padded in one batch
      SftTask.Batch single = task.collate(docs);
      float[] lpSingle = task.tokenLogProbs(single).toFloatArray();
      double[] expected = new double[docs.size()];
      for (int d = 0; d < docs.size(); d++) {
        int sl = single.rows().length();
        for (int t = 0; t < sl - 1; t++) {
          expected[d] += single.targetMask()[d * (sl - 1) + t] * lpSingle[d * (sl - 1) + t];
        }
      }
      // packed into rows of 16: documents share rows
      List<SftSequence> packed = Packing.bestFitDecreasing(docs, 16);
      assertThat(packed.size()).isLessThan(docs.size());
      SftTask.Batch pb = task.collate(packed);
      float[] lpPacked = task.tokenLogProbs(pb).toFloatArray();
      // find each document inside the packed rows by identity of its ids and doc id
      double[] actual = new double[docs.size()];
      boolean[] found = new boolean[docs.size()];
      for (int row = 0; row < packed.size(); row++) {
        SftSequence s = packed.get(row);
        int start = 0;
        while (start < s.length()) {
          int end = start;
          while (end < s.length() && s.docIds()[end] == s.docIds()[start]) {
            end++;
          }
          int[] ids = java.util.Arrays.copyOfRange(s.inputIds(), start, end);
          for (int d = 0; d < docs.size(); d++) {
            if (!found[d] && java.util.Arrays.equals(docs.get(d).inputIds(), ids)) {
              found[d] = true;
              for (int t = start; t < end - 1; t++) {
                int pl = pb.rows().length();
                actual[d] += pb.targetMask()[row * (pl - 1) + t] * lpPacked[row * (pl - 1) + t];
              }
              break;
            }
          }
          start = end;
        }
      }
      for (int d = 0; d < docs.size(); d++) {
        assertThat(found[d]).isTrue();
        assertThat(actual[d]).as("document %d", d).isCloseTo(expected[d], within(1e-4));
        assertThat(expected[d]).isLessThan(-1.0); // a real loss, not zeros
      }
      // and the same packed rows WITHOUT document separation would differ (the test can fail)
      PaddedRows pr = pb.rows();
      SftTask.Batch leaky = new SftTask.Batch(
          new PaddedRows(pr.rows(), pr.length(), pr.ids(), pr.positions(), zeroDocs(pr.docIds()), pr.tokens()),
          pb.targetMask(), pb.lossTokens());
      float[] lpLeaky = task.tokenLogProbs(leaky).toFloatArray();
      double diff = 0;
      for (int i = 0; i < lpLeaky.length; i++) {
        diff += Math.abs(lpLeaky[i] - lpPacked[i]) * pb.targetMask()[i];
      }
      assertThat(diff).isGreaterThan(1e-2);
    }
  }

  private static int[][] zeroDocs(int[][] docs) {
    int[][] out = new int[docs.length][];
    for (int i = 0; i < docs.length; i++) {
      out[i] = docs[i].clone();
      for (int j = 0; j < out[i].length; j++) {
        if (out[i][j] >= 0) {
          out[i][j] = 0;
        }
      }
    }
    return out;
  }
}
