package dev.zephyr.train.data;

import dev.zephyr.core.InvalidInputException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Where a run's evaluation rows come from: held out of the training data ({@code test_split_size}, see
 * {@link HoldOut}), read from files of their own ({@code eval_dataset_path}, like the {@code eval_dataset} a TRL
 * trainer is given), or nowhere.
 *
 * @param holdOut the split of the training data, or null
 * @param files evaluation files (same format as the training files), or empty
 */
public record EvalData(HoldOut holdOut, List<Path> files) {
  /** No evaluation rows. */
  public static final EvalData NONE = new EvalData(null, List.of());

  public EvalData {
    files = List.copyOf(files);
    if (holdOut != null && !files.isEmpty()) {
      throw InvalidInputException.field("EvalData", "test_split_size", "given together with eval_dataset_path "
          + files + "; hold rows out of the training data or name evaluation files, not both");
    }
  }

  public static EvalData heldOut(HoldOut holdOut) {
    return new EvalData(java.util.Objects.requireNonNull(holdOut, "holdOut"), List.of());
  }

  public static EvalData files(List<Path> files) {
    return new EvalData(null, files);
  }

  /** Whether there are evaluation rows at all. */
  public boolean isNone() {
    return holdOut == null && files.isEmpty();
  }

  /**
   * The keys under their recipe names ({@code test_split_size} and its {@code seed}, or {@code eval_dataset_path});
   * empty for {@link #NONE}.
   */
  public Map<String, Object> keys() {
    Map<String, Object> m = new LinkedHashMap<>();
    if (holdOut != null) {
      m.put("test_split_size", holdOut.asKey());
      m.put("test_split_seed", holdOut.seed());
    }
    if (!files.isEmpty()) {
      m.put("eval_dataset_path", files.stream().map(Path::toString).toList());
    }
    return m;
  }
}
