package dev.zephyr.train.data;

import dev.zephyr.core.InvalidInputException;
import java.util.BitSet;

/**
 * The held-out split of a dataset with no test split of its own, made as Hugging Face {@code datasets} makes it for
 * the alignment-handbook ({@code dataset.train_test_split(test_size=test_split_size, seed=seed)}): a fraction in
 * (0, 1) holds out {@code ceil(test_size * n)} rows, a whole number that many rows; the held-out rows are the first
 * ones of {@code np.random.default_rng(seed).permutation(n)} ({@link HfShuffle}), so the same rows as in Python.
 *
 * <p>The split is a set of row indices ({@link #heldOut(int)}), so rows can be routed while they are read; the training
 * rows keep their order in the file (the trainer shuffles them with its own seed).
 *
 * @param testSize {@code test_split_size}: a fraction in (0, 1) or a row count (a whole number, at least 1)
 * @param seed the split's seed (the handbook's {@code dataset_mixture.seed}, 0 by default)
 */
public record HoldOut(double testSize, long seed) {
  /** The handbook's default mixture seed. */
  public static final long DEFAULT_SEED = 0;

  public HoldOut {
    boolean fraction = testSize > 0 && testSize < 1;
    boolean count = testSize >= 1 && testSize == Math.rint(testSize) && testSize <= Integer.MAX_VALUE;
    if (!fraction && !count) {
      throw InvalidInputException.field("HoldOut", "test_split_size",
          "expected a fraction in (0, 1) or a whole number of rows >= 1, found " + testSize);
    }
    if (seed < 0) {
      throw InvalidInputException.field("HoldOut", "seed", "expected a non-negative seed, found " + seed);
    }
  }

  /** Rows held out of {@code n}; fails, as {@code datasets} does, when either side would be empty. */
  public int testRows(int n) {
    int test = testSize < 1 ? (int) Math.ceil(testSize * n) : (int) testSize;
    if (test < 1 || n - test < 1) {
      throw InvalidInputException.field("HoldOut", "test_split_size", "test_split_size " + asKey() + " of " + n
          + " rows leaves " + test + " held out and " + (n - test) + " for training; both need at least one row");
    }
    return test;
  }

  /** The indices (of {@code n} rows) that are held out. */
  public BitSet heldOut(int n) {
    int[] permutation = HfShuffle.permutation(seed, n);
    BitSet test = new BitSet(n);
    for (int i = 0, k = testRows(n); i < k; i++) {
      test.set(permutation[i]);
    }
    return test;
  }

  /** {@code test_split_size} as a recipe writes it: a row count as an integer, a fraction as a number. */
  public Number asKey() {
    return testSize >= 1 ? (Number) (long) testSize : (Number) testSize;
  }
}
