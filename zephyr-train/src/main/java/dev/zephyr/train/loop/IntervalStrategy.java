package dev.zephyr.train.loop;

import java.util.Arrays;
import java.util.Locale;

/** transformers' {@code IntervalStrategy}: when to evaluate ({@code eval_strategy}). */
public enum IntervalStrategy {
  /** Never during training (transformers' default). */
  NO,
  /** Every {@code eval_steps} optimizer steps. */
  STEPS,
  /** At the end of every epoch. */
  EPOCH;

  /** The value as transformers spells it: {@code no}, {@code steps}, {@code epoch}. */
  public String hfName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Parses transformers' spelling. */
  public static IntervalStrategy fromHfName(String name) {
    for (IntervalStrategy s : values()) {
      if (s.hfName().equals(name)) {
        return s;
      }
    }
    throw new IllegalArgumentException("unknown strategy '" + name + "', expected one of "
        + Arrays.stream(values()).map(IntervalStrategy::hfName).toList());
  }
}
