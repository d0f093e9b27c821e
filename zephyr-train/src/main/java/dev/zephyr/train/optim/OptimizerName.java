package dev.zephyr.train.optim;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The {@code optim} values zephyr implements, under transformers' {@code OptimizerNames}. Several names may run the same
 * {@link Algorithm}: {@code adamw_torch_fused} is torch's AdamW with a fused kernel, and bitsandbytes'
 * {@code paged_adamw_32bit} applies the same update with 32-bit state (its paging of that state between GPU and CPU
 * memory is a memory-management feature with no counterpart here). The name is kept as given, so recipes, manifests
 * and checkpoints record what the user wrote.
 */
public enum OptimizerName {
  ADAMW_TORCH("adamw_torch", Algorithm.ADAMW),
  ADAMW_TORCH_FUSED("adamw_torch_fused", Algorithm.ADAMW),
  PAGED_ADAMW_32BIT("paged_adamw_32bit", Algorithm.ADAMW),
  RMSPROP("rmsprop", Algorithm.RMSPROP),
  ADAFACTOR("adafactor", Algorithm.ADAFACTOR);

  /** The update rules behind the names. */
  public enum Algorithm {
    /** {@code torch.optim.AdamW}, see {@link AdamW}. */
    ADAMW,
    /** {@code torch.optim.RMSprop} with transformers' arguments, see {@link RmsProp}. */
    RMSPROP,
    /** transformers' {@code Adafactor} as its Trainer builds it, see {@link Adafactor}. */
    ADAFACTOR
  }

  // transformers names that exist but compute something else; each gets its own reason
  private static final List<String[]> REFUSED = List.of(
      new String[] {"adamw_hf", "it is transformers' former AdamW (eps added before the bias correction, removed from "
          + "recent transformers); adamw_torch is the maintained equivalent"},
      new String[] {"adamw_bnb_8bit", "its optimizer state is quantised to 8 bits, which zephyr does not implement"},
      new String[] {"adamw_8bit", "its optimizer state is quantised to 8 bits, which zephyr does not implement"},
      new String[] {"paged_adamw_8bit", "its optimizer state is quantised to 8 bits, which zephyr does not implement"});

  private final String hfName;
  private final Algorithm algorithm;

  OptimizerName(String hfName, Algorithm algorithm) {
    this.hfName = hfName;
    this.algorithm = algorithm;
  }

  /** The {@code optim} value, as in transformers' {@code TrainingArguments}. */
  public String hfName() {
    return hfName;
  }

  /** The update rule this name runs. */
  public Algorithm algorithm() {
    return algorithm;
  }

  /** Every accepted {@code optim} value, in declaration order. */
  public static List<String> hfNames() {
    return Arrays.stream(values()).map(OptimizerName::hfName).toList();
  }

  /**
   * Parses an {@code optim} value such as {@code adamw_torch}.
   *
   * @throws IllegalArgumentException naming the value, why it is refused when it is a known transformers name, and
   *     the accepted values
   */
  public static OptimizerName fromHfName(String name) {
    String n = name.trim().toLowerCase(Locale.ROOT);
    for (OptimizerName o : values()) {
      if (o.hfName.equals(n)) {
        return o;
      }
    }
    String why = REFUSED.stream().filter(r -> r[0].equals(n)).map(r -> " (" + r[1] + ")").findFirst().orElse("");
    throw new IllegalArgumentException("unsupported optim '" + name + "'" + why + "; supported: "
        + String.join(", ", hfNames()));
  }
}
