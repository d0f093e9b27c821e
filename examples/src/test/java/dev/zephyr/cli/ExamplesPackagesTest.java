package dev.zephyr.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.zephyr.core.testing.PackageGraph;
import org.junit.jupiter.api.Test;

class ExamplesPackagesTest {
  @Test
  void examplesPackagesHaveNoCycles() {
    PackageGraph graph = PackageGraph.ofModuleOf(ZephyrCli.class, "dev.zephyr.");
    assertThat(graph.dependenciesOf("dev.zephyr.cli"))
        .as("the graph was read").contains("dev.zephyr.train.pipeline");
    assertThat(graph.describeCycles()).as("package cycles in examples").isEmpty();
  }
}
