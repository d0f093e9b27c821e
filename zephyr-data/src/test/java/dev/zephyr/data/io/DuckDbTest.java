package dev.zephyr.data.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.zephyr.core.InvalidInputException;
import java.io.File;
import java.lang.reflect.InvocationTargetException;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** DuckDB is optional: without it, Parquet input fails with an error naming the file and the dependency to add. */
class DuckDbTest {
  @TempDir Path dir;

  @Test
  void coordinatesCarryTheVersionOfTheDriverThisBuildUses() throws Exception {
    String duckDbVersion;
    try (Connection c = DriverManager.getConnection("jdbc:duckdb:")) {
      // the engine's release ("v1.1.3"), which the duckdb_jdbc artifact's version follows
      duckDbVersion = c.getMetaData().getDatabaseProductVersion().replaceFirst("^v", "");
    }
    assertThat(DuckDb.coordinates()).isEqualTo("org.duckdb:duckdb_jdbc:" + duckDbVersion);
  }

  @Test
  void missingDriverClassIsAnInvalidInputNamingFileAndDependency() {
    Path file = dir.resolve("train_prefs.parquet");
    assertThatThrownBy(() -> DuckDb.requireDriver(file, "org.duckdb.AbsentDriver"))
        .isInstanceOfSatisfying(InvalidInputException.class, e -> assertThat(e.source()).isEqualTo(file.toString()))
        .hasMessageStartingWith(file + ": reading Parquet needs DuckDB's JDBC driver (org.duckdb.AbsentDriver)")
        .hasMessageContaining("add the dependency " + DuckDb.coordinates() + " ");
  }

  @Test
  void presentDriverPassesTheCheck() {
    DuckDb.requireDriver(dir.resolve("x.parquet"));
  }

  /** The real situation: DatasetRows loaded from a class path without the DuckDB jar. */
  @Test
  void parquetReadWithoutDuckDbJarOnTheClassPathNamesTheDependency() throws Exception {
    List<URL> withoutDuckDb = Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
        .filter(entry -> !Path.of(entry).getFileName().toString().startsWith("duckdb_jdbc"))
        .map(DuckDbTest::url)
        .toList();
    assertThat(withoutDuckDb).as("test class path").anyMatch(u -> u.getPath().contains("zephyr-data"));
    Path file = dir.resolve("prompts.parquet");
    Files.write(file, new byte[] {'P', 'A', 'R', '1'});
    // parent = platform loader, so nothing on the application class path (DuckDB included) leaks in
    try (URLClassLoader isolated = new URLClassLoader(withoutDuckDb.toArray(URL[]::new),
        ClassLoader.getPlatformClassLoader())) {
      assertThatThrownBy(() -> isolated.loadClass(DuckDb.DRIVER_CLASS)).isInstanceOf(ClassNotFoundException.class);
      Class<?> rows = isolated.loadClass(DatasetRows.class.getName());
      @SuppressWarnings({"unchecked", "rawtypes"})
      Object failOnError = Enum.valueOf((Class) isolated.loadClass("dev.zephyr.core.io.Jsonl$OnError"), "FAIL");
      Throwable thrown = null;
      try {
        rows.getMethod("readAll", Path.class, failOnError.getClass()).invoke(null, file, failOnError);
      } catch (InvocationTargetException e) {
        thrown = e.getCause();
      }
      assertThat(thrown).isNotNull();
      assertThat(thrown.getClass().getName()).isEqualTo(InvalidInputException.class.getName());
      assertThat(thrown.getMessage())
          .startsWith(file + ": reading Parquet needs DuckDB's JDBC driver (org.duckdb.DuckDBDriver)")
          .contains("add the dependency " + DuckDb.coordinates() + " ");
    }
  }

  private static URL url(String classPathEntry) {
    try {
      return Path.of(classPathEntry).toUri().toURL();
    } catch (MalformedURLException e) {
      throw new IllegalArgumentException(classPathEntry, e);
    }
  }
}
