package dev.zephyr.train;

import static org.assertj.core.api.Assertions.assertThat;

import dev.zephyr.core.testing.PackageGraph;
import dev.zephyr.train.loop.Trainer;
import org.junit.jupiter.api.Test;

class TrainPackagesTest {
  @Test
  void zephyrTrainPackagesHaveNoCycles() {
    PackageGraph graph = PackageGraph.ofModuleOf(Trainer.class, "dev.zephyr.");
    assertThat(graph.dependenciesOf("dev.zephyr.train.sft"))
        .as("the graph was read").contains("dev.zephyr.train.loop");
    assertThat(graph.describeCycles()).as("package cycles in zephyr-train").isEmpty();
  }
}
