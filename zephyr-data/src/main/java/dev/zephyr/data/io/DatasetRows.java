package dev.zephyr.data.io;

import com.fasterxml.jackson.databind.JsonNode;
import dev.zephyr.core.InvalidInputException;
import dev.zephyr.core.io.Json;
import dev.zephyr.core.io.Jsonl;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.function.Consumer;

/**
 * Rows of a dataset file as JSON trees with the file's own (Hugging Face) column names: JSON Lines ({@code .jsonl},
 * {@code .json} with one object per line) or Parquet ({@code .parquet}, the format the Hub serves), the latter read
 * through DuckDB so nested columns such as {@code messages} (a list of structs) come back as JSON arrays of objects.
 * Both are read a row at a time, so a pass over a large file holds one row, not the file. DuckDB
 * ({@code org.duckdb:duckdb_jdbc}) is an optional dependency: add it to read Parquet.
 */
public final class DatasetRows {
  private DatasetRows() {}

  /** What a pass over a file saw. */
  public record Stats(long rows, long skipped) {}

  /** One row and where it came from (1-based line for JSONL, 1-based row for Parquet). */
  public record Row(JsonNode value, long line) {}

  /** Streams every row to {@code sink}; a malformed JSONL line fails (naming file and line) or is skipped and counted. */
  public static Stats forEach(Path file, Jsonl.OnError onError, Consumer<Row> sink) {
    if (!Files.isRegularFile(file)) {
      throw new InvalidInputException(file.toString(), 0, null, "no such dataset file");
    }
    if (isParquet(file)) {
      return parquet(file, sink);
    }
    try (Jsonl.Reader<JsonNode> r = Jsonl.reader(file, JsonNode.class, onError)) {
      long rows = 0;
      long notObjects = 0;
      while (r.hasNext()) {
        JsonNode node = r.next();
        if (!node.isObject()) {
          if (onError == Jsonl.OnError.FAIL) {
            throw new InvalidInputException(file.toString(), r.lineNumber(), null,
                "expected a JSON object per line, found " + node.getNodeType().toString().toLowerCase(Locale.ROOT));
          }
          notObjects++;
          continue;
        }
        rows++;
        sink.accept(new Row(node, r.lineNumber()));
      }
      return new Stats(rows, r.skipped() + notObjects);
    }
  }

  /** Reads every row into memory. */
  public static List<Row> readAll(Path file, Jsonl.OnError onError) {
    List<Row> out = new ArrayList<>();
    forEach(file, onError, out::add);
    return out;
  }

  /** True for {@code .parquet} files. */
  public static boolean isParquet(Path file) {
    return file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".parquet");
  }

  private static Stats parquet(Path file, Consumer<Row> sink) {
    DuckDb.requireDriver(file);
    String literal = "'" + file.toAbsolutePath().toString().replace("'", "''") + "'";
    Properties streaming = new Properties();
    // DuckDB materialises a whole result before the first row unless asked to stream it chunk by chunk
    streaming.setProperty("jdbc_stream_results", "true");
    try (Connection c = DriverManager.getConnection("jdbc:duckdb:", streaming);
        Statement st = c.createStatement();
        // a table alias used as a value is the whole row as a struct; to_json keeps nested lists and structs
        ResultSet rs = st.executeQuery("SELECT CAST(to_json(t) AS VARCHAR) FROM read_parquet(" + literal + ") AS t")) {
      long rows = 0;
      while (rs.next()) {
        rows++;
        JsonNode node;
        try {
          node = Json.mapper().readTree(rs.getString(1));
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
        sink.accept(new Row(node, rows));
      }
      return new Stats(rows, 0);
    } catch (SQLException e) {
      throw new InvalidInputException(file.toString(), 0, null, "cannot read Parquet: " + e.getMessage(), e);
    }
  }
}
