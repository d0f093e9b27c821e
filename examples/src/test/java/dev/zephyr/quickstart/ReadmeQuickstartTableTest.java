package dev.zephyr.quickstart;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The README's quickstart table is exactly what the code renders from {@code docs/quickstart-seed42.json}, the
 * results file of a seed-42 run that {@code scripts/update-quickstart-table} records (and CI's run of the README's
 * main command compares against). Editing the numbers by hand fails here.
 */
class ReadmeQuickstartTableTest {
  @Test
  void readmeTableIsTheRenderingOfTheRecordedSeed42Results() throws Exception {
    Path root = root();
    QuickstartResults recorded = QuickstartResults.read(root.resolve("docs/quickstart-seed42.json"));
    String readme = Files.readString(root.resolve("README.md"));
    int b = readme.indexOf(QuickstartTable.BEGIN);
    int e = readme.indexOf(QuickstartTable.END);
    assertThat(b).as("README has the table markers").isGreaterThanOrEqualTo(0);
    assertThat(e).isGreaterThan(b);
    assertThat(readme.substring(b + QuickstartTable.BEGIN.length(), e).strip())
        .isEqualTo(QuickstartTable.block(recorded));
    assertThat(QuickstartTable.withTable(readme, recorded)).as("rewriting changes nothing").isEqualTo(readme);
    assertThat(recorded.rows()).extracting(QuickstartResults.Row::model)
        .containsExactlyElementsOf(QuickstartResults.MODELS);
  }

  private static Path root() {
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
      if (Files.isRegularFile(p.resolve("README.md")) && Files.isDirectory(p.resolve("docs"))) {
        return p;
      }
    }
    throw new IllegalStateException("no repository root above " + Path.of("").toAbsolutePath());
  }
}
