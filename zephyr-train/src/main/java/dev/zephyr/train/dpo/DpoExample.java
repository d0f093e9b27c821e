package dev.zephyr.train.dpo;

/**
 * A tokenized preference pair: prompt ids and the two completions' ids (prompt + completion is the joint tokenization,
 * split at the prompt boundary), plus the reference model's summed completion log-probs once they are known.
 *
 * @param refChosenLogp reference log pi_ref(chosen | prompt), NaN until computed
 * @param refRejectedLogp reference log pi_ref(rejected | prompt), NaN until computed
 */
public record DpoExample(int[] promptIds, int[] chosenIds, int[] rejectedIds, double refChosenLogp,
    double refRejectedLogp) {

  public DpoExample {
    if (chosenIds.length == 0 || rejectedIds.length == 0) {
      throw new IllegalArgumentException("chosen and rejected completions need at least one token");
    }
    if (promptIds.length == 0) {
      throw new IllegalArgumentException("the prompt needs at least one token (the first token is never predicted)");
    }
  }

  public static DpoExample of(int[] promptIds, int[] chosenIds, int[] rejectedIds) {
    return new DpoExample(promptIds, chosenIds, rejectedIds, Double.NaN, Double.NaN);
  }

  public boolean hasReference() {
    return !Double.isNaN(refChosenLogp) && !Double.isNaN(refRejectedLogp);
  }

  public DpoExample withReference(double chosen, double rejected) {
    return new DpoExample(promptIds, chosenIds, rejectedIds, chosen, rejected);
  }

  /** Prompt + chosen, or prompt + rejected. */
  public int[] sequence(boolean chosen) {
    int[] c = chosen ? chosenIds : rejectedIds;
    int[] out = new int[promptIds.length + c.length];
    System.arraycopy(promptIds, 0, out, 0, promptIds.length);
    System.arraycopy(c, 0, out, promptIds.length, c.length);
    return out;
  }

  /**
   * Truncates prompt + completion to {@code maxLength} keeping the start (TRL's {@code keep_start}); returns null when
   * the prompt alone fills {@code maxLength} (TRL drops such examples).
   */
  public DpoExample truncated(int maxLength) {
    if (promptIds.length >= maxLength) {
      return null;
    }
    int room = maxLength - promptIds.length;
    return new DpoExample(promptIds, head(chosenIds, room), head(rejectedIds, room), refChosenLogp, refRejectedLogp);
  }

  private static int[] head(int[] a, int n) {
    return a.length <= n ? a : java.util.Arrays.copyOf(a, n);
  }
}
