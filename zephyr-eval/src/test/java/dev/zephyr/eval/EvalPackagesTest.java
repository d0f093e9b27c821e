package dev.zephyr.eval;

import static org.assertj.core.api.Assertions.assertThat;

import dev.zephyr.core.testing.PackageGraph;
import dev.zephyr.eval.report.Reports;
import org.junit.jupiter.api.Test;

class EvalPackagesTest {
  @Test
  void zephyrEvalPackagesHaveNoCycles() {
    PackageGraph graph = PackageGraph.ofModuleOf(Reports.class, "dev.zephyr.");
    assertThat(graph.dependenciesOf("dev.zephyr.eval.report"))
        .as("the graph was read").contains("dev.zephyr.eval.mtbench");
    assertThat(graph.describeCycles()).as("package cycles in zephyr-eval").isEmpty();
  }
}
