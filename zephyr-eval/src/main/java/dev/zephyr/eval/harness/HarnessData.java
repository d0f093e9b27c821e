package dev.zephyr.eval.harness;

import com.fasterxml.jackson.databind.JsonNode;
import dev.zephyr.core.InvalidInputException;
import dev.zephyr.core.io.Jsonl;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * Finds and reads a task's splits in Hugging Face dataset layouts under one or more data folders. For a task with
 * Hub dataset {@code P} and configuration {@code C} ({@code default} when it has none) the folders tried, under each
 * root in turn, are {@code root/P/C}, {@code root/P}, {@code root/C} and {@code root} itself; the first holding files
 * of the split wins. A split's files are {@code <split>.jsonl}, {@code <split>.parquet}, {@code <split>-*.parquet}
 * (the Hub's {@code test-00000-of-00001.parquet} shards) and the same names with {@code .json}, or every
 * JSONL/Parquet file inside a {@code <split>/} folder (the Hub's {@code refs/convert/parquet} layout); shards are read
 * in name order.
 */
public final class HarnessData {
  /** One input row and its 1-based line (JSONL) or row number (Parquet). */
  public record Row(JsonNode value, long line) {}

  /** Reads every row of a file. */
  @FunctionalInterface
  public interface RowReader {
    List<Row> read(Path file);
  }

  /** The documents of one split and the file(s) they came from. */
  public record Split(String source, List<HarnessDoc> docs) {}

  private final List<Path> roots;
  private final RowReader reader;

  /**
   * @param roots data folders, tried in order
   * @param reader reads a file's rows; {@link #jsonlReader()} reads JSON Lines only
   */
  public HarnessData(List<Path> roots, RowReader reader) {
    if (roots.isEmpty()) {
      throw InvalidInputException.field("--data", "data", "no data folder given");
    }
    this.roots = List.copyOf(roots);
    this.reader = reader;
  }

  /** A reader of JSON Lines files (one object per line); other formats need a reader that knows them. */
  public static RowReader jsonlReader() {
    return file -> {
      if (!file.getFileName().toString().toLowerCase(Locale.ROOT).matches(".*\\.jsonl?")) {
        throw new InvalidInputException(file.toString(), 0, null, "this reader reads JSON Lines only");
      }
      List<Row> rows = new ArrayList<>();
      try (Jsonl.Reader<JsonNode> r = Jsonl.reader(file, JsonNode.class, Jsonl.OnError.FAIL)) {
        while (r.hasNext()) {
          rows.add(new Row(r.next(), r.lineNumber()));
        }
      }
      return rows;
    };
  }

  /**
   * The documents of {@code split} for {@code task}.
   *
   * @throws InvalidInputException when no file holds the split, or a row does not fit the task's template
   */
  public Split read(HarnessTask task, String split) {
    List<Path> files = find(task, split);
    List<HarnessDoc> docs = new ArrayList<>();
    for (Path f : files) {
      for (Row row : reader.read(f)) {
        docs.add(task.format().convert(row.value(), f.toString(), row.line()));
      }
    }
    String source = files.size() == 1 ? files.get(0).toString() : files.get(0).getParent() + "/" + split + "*";
    return new Split(source, docs);
  }

  /** The files of {@code split} for {@code task}, in reading order. */
  public List<Path> find(HarnessTask task, String split) {
    String config = task.datasetName() == null ? "default" : task.datasetName();
    List<Path> tried = new ArrayList<>();
    for (Path root : roots) {
      List<Path> dirs = new ArrayList<>();
      for (String p : task.datasetPaths()) {
        dirs.add(root.resolve(p).resolve(config));
        dirs.add(root.resolve(p));
      }
      dirs.add(root.resolve(config));
      dirs.add(root);
      for (Path dir : dirs) {
        if (tried.contains(dir)) {
          continue;
        }
        tried.add(dir);
        List<Path> files = splitFiles(dir, split);
        if (!files.isEmpty()) {
          return files;
        }
      }
    }
    throw InvalidInputException.field(roots.toString(), split, "no " + split + " split for " + task.name()
        + " (looked for " + split + ".jsonl, " + split + "-*.parquet, " + split + "/*.parquet... in " + tried + ")");
  }

  private static List<Path> splitFiles(Path dir, String split) {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    List<Path> out = new ArrayList<>(list(dir).stream()
        .filter(f -> Files.isRegularFile(f) && isData(f) && isSplitName(f.getFileName().toString(), split))
        .toList());
    Path sub = dir.resolve(split);
    if (out.isEmpty() && Files.isDirectory(sub)) {
      out.addAll(list(sub).stream().filter(f -> Files.isRegularFile(f) && isData(f)).toList());
    }
    out.sort(null);
    return out;
  }

  private static boolean isSplitName(String fileName, String split) {
    String stem = fileName.substring(0, fileName.lastIndexOf('.'));
    return stem.equals(split) || stem.startsWith(split + "-");
  }

  private static boolean isData(Path f) {
    String n = f.getFileName().toString().toLowerCase(Locale.ROOT);
    return n.endsWith(".jsonl") || n.endsWith(".json") || n.endsWith(".parquet");
  }

  private static List<Path> list(Path dir) {
    try (Stream<Path> s = Files.list(dir)) {
      return s.toList();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + dir, e);
    }
  }
}
