package dev.zephyr.train.data;

import com.fasterxml.jackson.databind.JsonNode;
import dev.zephyr.core.InvalidInputException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * The training data of a run: the alignment handbook's {@code dataset_mixture} ({@code datasets}, {@code seed},
 * {@code test_split_size}), or plain files read whole and in order ({@code dataset_path}, {@code dataset_name}).
 *
 * <p>The handbook's {@code get_dataset} builds a mixture so, and {@link MixtureReader} selects the same rows: each
 * dataset keeps its {@code columns}; a dataset with a {@code weight} is shuffled with the seed and its first
 * {@code int(weight * len)} rows are kept; the datasets are concatenated in order and the whole is shuffled with the
 * seed. Shuffles are those of Hugging Face {@code datasets} ({@link HfShuffle}), so the same rows come out in the same
 * order as in Python.
 *
 * @param datasets the datasets, in concatenation order
 * @param seed the shuffle seed ({@code 0} by default, as in the handbook)
 * @param testSplitSize {@code test_split_size}: rows to hold out for evaluation (a fraction below 1, a count
 *     otherwise), cut from the mixture's rows after the shuffle; null for none
 * @param shuffled whether the concatenated rows are shuffled: true for a {@code dataset_mixture}, false for files
 */
public record DatasetMixture(List<DatasetSource> datasets, long seed, Double testSplitSize, boolean shuffled) {
  private static final Set<String> MIXTURE_KEYS = Set.of("datasets", "seed", "test_split_size");
  private static final Set<String> DATASET_KEYS = Set.of("id", "config", "split", "columns", "weight");

  public DatasetMixture {
    datasets = List.copyOf(datasets);
    if (seed < 0) {
      throw new IllegalArgumentException("dataset_mixture.seed must be >= 0, got " + seed);
    }
    if (testSplitSize != null && !(testSplitSize > 0)) {
      throw new IllegalArgumentException("dataset_mixture.test_split_size must be > 0, got " + testSplitSize);
    }
  }

  /** Whole files, concatenated in order, unshuffled (what {@code dataset_path} names). */
  public static DatasetMixture ofFiles(List<Path> files) {
    return new DatasetMixture(files.stream().map(DatasetSource::of).toList(), 0, null, false);
  }

  /** For logs and errors: the one dataset's id, or the number of datasets. */
  public String describe() {
    return datasets.size() == 1 ? datasets.get(0).id() : "dataset_mixture (" + datasets.size() + " datasets)";
  }

  /** For progress bars: the one dataset's file or directory name, or {@code dataset_mixture}. */
  public String shortName() {
    return datasets.size() == 1 ? Path.of(datasets.get(0).id()).getFileName().toString() : "dataset_mixture";
  }

  /** The files each dataset reads, in order (for logs, manifests and checks). */
  public List<Path> files() {
    List<Path> out = new ArrayList<>();
    datasets.forEach(d -> out.addAll(d.files()));
    return out;
  }

  /**
   * Binds a recipe's {@code dataset_mixture} node; errors name {@code source} and the field, e.g.
   * {@code dataset_mixture.datasets[1].weight}. Unknown keys are refused, since each of them would change the rows.
   */
  public static DatasetMixture fromJson(JsonNode node, String source) {
    if (!node.isObject()) {
      throw InvalidInputException.field(source, "dataset_mixture", "expected a mapping with 'datasets'");
    }
    refuseUnknown(node, MIXTURE_KEYS, source, "dataset_mixture");
    JsonNode list = node.path("datasets");
    if (!list.isArray() || list.isEmpty()) {
      throw InvalidInputException.field(source, "dataset_mixture.datasets", "expected a non-empty list of datasets");
    }
    List<DatasetSource> out = new ArrayList<>();
    for (int i = 0; i < list.size(); i++) {
      out.add(source(list.get(i), source, "dataset_mixture.datasets[" + i + "]"));
    }
    long seed = 0;
    if (node.hasNonNull("seed")) {
      JsonNode s = node.get("seed");
      if (!s.isIntegralNumber() || !s.canConvertToLong() || s.asLong() < 0) {
        throw InvalidInputException.field(source, "dataset_mixture.seed", "expected an integer >= 0, found "
            + node.get("seed"));
      }
      seed = node.get("seed").asLong();
    }
    Double test = null;
    if (node.hasNonNull("test_split_size")) {
      JsonNode t = node.get("test_split_size");
      if (!t.isNumber() || !(t.asDouble() > 0) || (t.asDouble() >= 1 && !t.isIntegralNumber())) {
        throw InvalidInputException.field(source, "dataset_mixture.test_split_size",
            "expected a fraction in (0, 1) or a row count >= 1, found " + t);
      }
      test = t.asDouble();
    }
    return new DatasetMixture(out, seed, test, true);
  }

  private static DatasetSource source(JsonNode d, String source, String at) {
    if (!d.isObject()) {
      throw InvalidInputException.field(source, at, "expected a mapping with 'id'");
    }
    refuseUnknown(d, DATASET_KEYS, source, at);
    if (!d.path("id").isTextual()) {
      throw InvalidInputException.field(source, at + ".id", "expected a local dataset file or directory");
    }
    String config = text(d, "config", source, at);
    String split = text(d, "split", source, at);
    List<String> columns = null;
    if (d.hasNonNull("columns")) {
      JsonNode c = d.get("columns");
      if (!c.isArray() || c.isEmpty()) {
        throw InvalidInputException.field(source, at + ".columns", "expected a non-empty list of column names");
      }
      columns = new ArrayList<>();
      for (JsonNode name : c) {
        if (!name.isTextual()) {
          throw InvalidInputException.field(source, at + ".columns", "expected column names, found " + name);
        }
        columns.add(name.asText());
      }
    }
    Double weight = null;
    if (d.hasNonNull("weight")) {
      JsonNode w = d.get("weight");
      if (!w.isNumber() || w.asDouble() < 0 || w.asDouble() > 1) {
        throw InvalidInputException.field(source, at + ".weight",
            "expected the fraction of rows kept, in [0, 1], found " + w);
      }
      weight = w.asDouble();
    }
    return new DatasetSource(d.get("id").asText(), config, split, columns, weight);
  }

  private static String text(JsonNode d, String key, String source, String at) {
    if (!d.hasNonNull(key)) {
      return null;
    }
    if (!d.get(key).isTextual()) {
      throw InvalidInputException.field(source, at + "." + key, "expected a string, found " + d.get(key));
    }
    return d.get(key).asText();
  }

  private static void refuseUnknown(JsonNode node, Set<String> known, String source, String at) {
    for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
      String k = it.next();
      if (!known.contains(k)) {
        throw InvalidInputException.field(source, at + "." + k,
            "unknown key; expected one of " + known.stream().sorted().toList());
      }
    }
  }
}
