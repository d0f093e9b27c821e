package dev.zephyr.data;

import static org.assertj.core.api.Assertions.assertThat;

import dev.zephyr.core.testing.PackageGraph;
import dev.zephyr.data.rows.SftRecord;
import org.junit.jupiter.api.Test;

class DataPackagesTest {
  @Test
  void zephyrDataPackagesHaveNoCycles() {
    PackageGraph graph = PackageGraph.ofModuleOf(SftRecord.class, "dev.zephyr.");
    assertThat(graph.dependenciesOf("dev.zephyr.data.dsft"))
        .as("the graph was read").contains("dev.zephyr.data.instruct");
    assertThat(graph.describeCycles()).as("package cycles in zephyr-data").isEmpty();
  }

  @Test
  void rowRecordsDependOnNoOtherPackageOfZephyrData() {
    PackageGraph graph = PackageGraph.ofModuleOf(SftRecord.class, "dev.zephyr.");
    assertThat(graph.dependenciesOf("dev.zephyr.data.rows")).contains("dev.zephyr.core.chat")
        .noneMatch(pkg -> pkg.startsWith("dev.zephyr.data."));
  }
}
