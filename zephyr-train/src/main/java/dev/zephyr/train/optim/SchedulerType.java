package dev.zephyr.train.optim;

import java.util.Arrays;
import java.util.Locale;

/** Learning-rate schedules by their transformers {@code lr_scheduler_type} names. */
public enum SchedulerType {
  CONSTANT("constant"),
  CONSTANT_WITH_WARMUP("constant_with_warmup"),
  LINEAR("linear"),
  COSINE("cosine");

  private final String hfName;

  SchedulerType(String hfName) {
    this.hfName = hfName;
  }

  /** The name used in TrainingArguments / YAML recipes. */
  public String hfName() {
    return hfName;
  }

  /** Parses a transformers name such as {@code cosine}; throws with the accepted names otherwise. */
  public static SchedulerType fromHfName(String name) {
    String n = name.trim().toLowerCase(Locale.ROOT);
    for (SchedulerType t : values()) {
      if (t.hfName.equals(n)) {
        return t;
      }
    }
    throw new IllegalArgumentException("unknown lr_scheduler_type '" + name + "', expected one of "
        + Arrays.stream(values()).map(SchedulerType::hfName).toList());
  }
}
