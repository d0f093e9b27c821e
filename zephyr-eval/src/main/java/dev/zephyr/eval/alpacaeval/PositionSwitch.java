package dev.zephyr.eval.alpacaeval;

import java.util.List;

/**
 * Whether alpaca_eval shows the two outputs to the judge in swapped order for an instruction:
 * {@code random.Random("is_switched_outputs" + instruction + seed).choices([False, True])[0]}, with seed "0" as the
 * default pairwise annotator passes it. Deterministic per instruction, independent of the model under test.
 */
public final class PositionSwitch {
  /** The seed alpaca_eval's {@code PairwiseAnnotator} uses by default. */
  public static final String DEFAULT_SEED = "0";
  private static final List<Boolean> POPULATION = List.of(false, true);

  private PositionSwitch() {}

  /** True when {@code output_1} and {@code output_2} swap places in the judge prompt. */
  public static boolean isSwitched(String instruction, String seed) {
    return new CPythonRandom("is_switched_outputs" + instruction + seed).choice(POPULATION);
  }

  /** {@link #isSwitched(String, String)} with the default seed "0". */
  public static boolean isSwitched(String instruction) {
    return isSwitched(instruction, DEFAULT_SEED);
  }
}
