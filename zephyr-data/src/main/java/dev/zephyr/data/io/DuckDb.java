package dev.zephyr.data.io;

import dev.zephyr.core.InvalidInputException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Properties;

/**
 * DuckDB's JDBC driver, which reads Parquet for {@link DatasetRows}. It is an optional dependency of zephyr-data (a
 * 69 MB jar that only Parquet input needs), so its absence is reported as an input error naming the file and the
 * Maven coordinates to add, instead of a JDBC "no suitable driver" deep inside the read.
 */
final class DuckDb {
  static final String DRIVER_CLASS = "org.duckdb.DuckDBDriver";
  static final String GROUP_AND_ARTIFACT = "org.duckdb:duckdb_jdbc";

  private DuckDb() {}

  /** Loads (and so registers with JDBC) the driver, or fails naming {@code file} and the dependency to add. */
  static void requireDriver(Path file) {
    requireDriver(file, DRIVER_CLASS);
  }

  /** As {@link #requireDriver(Path)}, looking for {@code driverClass}; tests pass a class that does not exist. */
  static void requireDriver(Path file, String driverClass) {
    try {
      Class.forName(driverClass, true, DuckDb.class.getClassLoader());
    } catch (ClassNotFoundException e) {
      throw new InvalidInputException(file.toString(), 0, null,
          "reading Parquet needs DuckDB's JDBC driver (" + driverClass + "), which is not on the class path; add the"
              + " dependency " + coordinates() + " (Maven: <groupId>org.duckdb</groupId>"
              + "<artifactId>duckdb_jdbc</artifactId>), or convert the file to JSON Lines",
          e);
    }
  }

  /**
   * {@code org.duckdb:duckdb_jdbc:VERSION} with the version zephyr-data was built and tested with; without the version
   * when the resource was not filtered (classes compiled by an IDE rather than Maven).
   */
  static String coordinates() {
    return Version.VALUE.isEmpty() ? GROUP_AND_ARTIFACT : GROUP_AND_ARTIFACT + ":" + Version.VALUE;
  }

  /** Read once, on first use: Maven filters duckdb.properties with the parent pom's duckdb.version. */
  private static final class Version {
    static final String VALUE = load();

    private static String load() {
      Properties p = new Properties();
      try (InputStream in = DuckDb.class.getResourceAsStream("duckdb.properties")) {
        if (in != null) {
          p.load(in);
        }
      } catch (IOException e) {
        // only the message loses its version
        return "";
      }
      String v = p.getProperty("version", "").trim();
      return v.startsWith("${") ? "" : v;
    }
  }
}
