package dev.zephyr.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.zephyr.core.testing.PackageGraph;
import org.junit.jupiter.api.Test;

class CorePackagesTest {
  @Test
  void zephyrCorePackagesHaveNoCycles() {
    PackageGraph graph = PackageGraph.ofModuleOf(InvalidInputException.class, "dev.zephyr.");
    assertThat(graph.dependenciesOf("dev.zephyr.core.chat.openai"))
        .as("the graph was read").contains("dev.zephyr.core.chat");
    assertThat(graph.describeCycles()).as("package cycles in zephyr-core").isEmpty();
  }
}
