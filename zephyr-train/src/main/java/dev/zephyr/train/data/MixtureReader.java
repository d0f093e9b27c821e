package dev.zephyr.train.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.zephyr.core.InvalidInputException;
import dev.zephyr.core.io.Jsonl;
import dev.zephyr.core.progress.Progress;
import dev.zephyr.data.io.DatasetRows;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.ToLongFunction;

/**
 * Streams a {@link DatasetMixture}'s rows through a function (tokenisation) and returns the results in the mixture's
 * order. Rows are parsed one at a time (JSON Lines a line at a time, each line parsed on its own; Parquet through
 * DuckDB) and handed to an {@link OrderedPool}, so no more than a window of rows lives as JSON trees at once: memory
 * holds the results (compact token arrays), not the file. The results are the same for any number of workers.
 */
public final class MixtureReader {
  private MixtureReader() {}

  /** What is done to each selected row: {@code source} and {@code line} are for errors. */
  @FunctionalInterface
  public interface RowFunction<T> {
    T apply(JsonNode row, String source, long line);
  }

  /** Worker threads and rows in flight. */
  public record Options(int workers, int window) {
    public Options {
      if (workers < 1 || window < workers) {
        throw new IllegalArgumentException("need workers >= 1 and window >= workers, got " + workers + ", " + window);
      }
    }

    /** Up to 4 workers (never more than the processors), 64 rows in flight per worker. */
    public static Options defaults() {
      int workers = Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors()));
      return new Options(workers, 64 * workers);
    }
  }

  /**
   * Applies {@code f} to every row the mixture selects and returns the results in mixture order (see
   * {@link DatasetMixture}); reports rows (and {@code tokensOf} each result) as task {@code taskName}.
   */
  public static <T> List<T> read(DatasetMixture mixture, RowFunction<T> f, Options options, Progress progress,
      String taskName, ToLongFunction<T> tokensOf) {
    List<T> concatenated = new ArrayList<>();
    try (Progress.Task task = progress.start(taskName, "rows", 0, 0)) {
      for (DatasetSource d : mixture.datasets()) {
        concatenated.addAll(readOne(d, mixture.seed(), f, options, task, tokensOf));
      }
    }
    if (!mixture.shuffled()) {
      return concatenated;
    }
    int[] order = HfShuffle.permutation(mixture.seed(), concatenated.size());
    List<T> out = new ArrayList<>(order.length);
    for (int i : order) {
      out.add(concatenated.get(i));
    }
    return out;
  }

  /** One row on its way to a worker: its place among the dataset's selected rows, or -1 for file order. */
  private record Item(JsonNode row, String file, long line, int slot) {}

  private record Done<T>(T value, int slot) {}

  private static <T> List<T> readOne(DatasetSource d, long seed, RowFunction<T> f, Options options,
      Progress.Task task, ToLongFunction<T> tokensOf) {
    List<Path> files = d.files();
    int[] slotOfRow = d.weight() == null ? null : selection(d, files, seed);
    int selected = slotOfRow == null ? 0 : (int) Arrays.stream(slotOfRow).filter(s -> s >= 0).count();
    List<T> inFileOrder = new ArrayList<>();
    Object[] slots = new Object[selected];
    long[] rowIndex = {0};
    for (Path file : files) {
      try (OrderedPool<Item, Done<T>> pool = new OrderedPool<>(options.workers(), options.window(),
          item -> new Done<>(f.apply(project(item, d), item.file(), item.line()), item.slot()),
          done -> {
            task.advance(1, tokensOf.applyAsLong(done.value()));
            if (done.slot() < 0) {
              inFileOrder.add(done.value());
            } else {
              slots[done.slot()] = done.value();
            }
          })) {
        String name = file.toString();
        DatasetRows.forEach(file, Jsonl.OnError.FAIL, row -> {
          long index = rowIndex[0]++;
          int slot = slotOfRow == null ? -1 : slotOfRow[(int) index];
          if (slotOfRow == null || slot >= 0) {
            pool.accept(new Item(row.value(), name, row.line(), slot));
          }
        });
        pool.finish();
      }
    }
    if (slotOfRow == null) {
      return inFileOrder;
    }
    @SuppressWarnings("unchecked")
    List<T> bySlot = (List<T>) Arrays.asList(slots);
    return bySlot;
  }

  /**
   * The handbook's {@code ds.shuffle(seed).select(range(int(len(ds) * weight)))}: for each row of the dataset its
   * position among the kept rows, or -1 when it is not kept. Needs the row count, so the files are read once more.
   */
  static int[] selection(DatasetSource d, List<Path> files, long seed) {
    long n = 0;
    for (Path file : files) {
      n += DatasetRows.forEach(file, Jsonl.OnError.FAIL, row -> { }).rows();
    }
    if (n > Integer.MAX_VALUE - 8) {
      throw new InvalidInputException(d.id(), 0, "weight", "too many rows to subsample: " + n);
    }
    int[] perm = HfShuffle.permutation(seed, (int) n);
    int keep = (int) (n * d.weight());
    int[] slotOfRow = new int[(int) n];
    Arrays.fill(slotOfRow, -1);
    for (int j = 0; j < keep; j++) {
      slotOfRow[perm[j]] = j;
    }
    return slotOfRow;
  }

  /** Keeps only the dataset's {@code columns}, in their order; a row without one of them fails naming it. */
  private static JsonNode project(Item item, DatasetSource d) {
    if (d.columns() == null) {
      return item.row();
    }
    ObjectNode kept = ((ObjectNode) item.row()).objectNode();
    for (String c : d.columns()) {
      if (!item.row().has(c)) {
        List<String> found = new ArrayList<>();
        item.row().fieldNames().forEachRemaining(found::add);
        throw new InvalidInputException(item.file(), item.line(), c,
            "dataset '" + d.id() + "' has no column '" + c + "' listed in its columns " + d.columns() + "; found "
                + found);
      }
      kept.set(c, item.row().get(c));
    }
    return kept;
  }
}
