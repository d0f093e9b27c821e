package dev.zephyr.train.data;

import dev.zephyr.core.InvalidInputException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * One entry of an alignment-handbook {@code dataset_mixture.datasets} list: {@code id}, {@code config},
 * {@code split}, {@code columns}, {@code weight}. Datasets are local; {@link #files()} says which files a split is:
 * <ul>
 *   <li>{@code id} is a file ({@code .jsonl}, {@code .json}, {@code .parquet}): its rows are the {@code train} split,
 *       as {@code load_dataset("json", data_files=id)} names them; another split or a {@code config} is refused;</li>
 *   <li>{@code id} is a directory: with {@code config}, the directory {@code id/config}; there the split is
 *       {@code <split>.jsonl}, {@code <split>.json} or {@code <split>.parquet}, or else the shards a Hub snapshot
 *       holds, {@code <split>-*.parquet} / {@code <split>-*.jsonl} directly or under {@code data/}, in name order.</li>
 * </ul>
 *
 * @param id a local dataset file or directory
 * @param config the dataset's configuration (a subdirectory), or null
 * @param split the split to read ({@code train} by default)
 * @param columns columns kept (the others are dropped before tokenisation), or null for all
 * @param weight the fraction of rows kept after shuffling with the mixture's seed, in [0, 1], or null for all rows in
 *     file order
 */
public record DatasetSource(String id, String config, String split, List<String> columns, Double weight) {
  private static final List<String> EXTENSIONS = List.of(".jsonl", ".json", ".parquet");

  public DatasetSource {
    if (id == null || id.isBlank()) {
      throw new IllegalArgumentException("a dataset needs an id (a local file or directory)");
    }
    split = split == null ? "train" : split;
    columns = columns == null ? null : List.copyOf(columns);
    if (weight != null && !(weight >= 0 && weight <= 1)) {
      throw new IllegalArgumentException("weight of " + id + " must be in [0, 1] (the fraction of rows kept), got "
          + weight);
    }
  }

  /** A whole file in file order: no column selection, no weight. */
  public static DatasetSource of(Path file) {
    return new DatasetSource(file.toString(), null, null, null, null);
  }

  /** The files holding the split, in reading order; fails naming the dataset, split and what was looked for. */
  public List<Path> files() {
    Path path = Path.of(id);
    if (Files.isRegularFile(path)) {
      if (config != null || !split.equals("train")) {
        throw new InvalidInputException(id, 0, config != null ? "config" : "split",
            "a single dataset file is the 'train' split with no config; for split '" + split + "'"
                + (config != null ? " of config '" + config + "'" : "")
                + " make " + id + " a directory holding " + split + ".jsonl (or .parquet)");
      }
      return List.of(path);
    }
    if (!Files.isDirectory(path)) {
      // a Hub id such as HuggingFaceH4/ultrachat_200k lands here: nothing is downloaded at run time
      throw new InvalidInputException(id, 0, "id", "no such dataset file or directory; datasets are read from local"
          + " files: download a Hub dataset first (huggingface-cli download --repo-type dataset " + id
          + " --local-dir DIR) and give DIR as the id");
    }
    Path base = config == null ? path : path.resolve(config);
    for (String ext : EXTENSIONS) {
      if (Files.isRegularFile(base.resolve(split + ext))) {
        return List.of(base.resolve(split + ext));
      }
    }
    List<Path> shards = shards(base);
    if (shards.isEmpty()) {
      shards = shards(base.resolve("data"));
    }
    if (shards.isEmpty()) {
      throw new InvalidInputException(id, 0, "split",
          "no file for split '" + split + "' in " + base + ": expected " + split + ".jsonl, " + split + ".json, "
              + split + ".parquet or shards " + split + "-*.parquet (also under data/)");
    }
    return shards;
  }

  private List<Path> shards(Path dir) {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(dir)) {
      List<Path> out = new ArrayList<>();
      s.filter(p -> {
        String name = p.getFileName().toString().toLowerCase(Locale.ROOT);
        return name.startsWith(split.toLowerCase(Locale.ROOT) + "-")
            && (name.endsWith(".parquet") || name.endsWith(".jsonl"));
      }).sorted().forEach(out::add);
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
