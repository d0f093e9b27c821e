package dev.zephyr.core.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.zephyr.core.testing.PackageGraph.Edge;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PackageGraphTest {

  /** Names classes as a class can (field signature, method descriptor), beside a string that only looks like one. */
  @SuppressWarnings("unused")
  static final class Fixture {
    List<Edge> edges;
    String decoy = "Ldev/zephyr/ghost/Ghost;";

    Map<String, Integer> count(FileModes modes) {
      return Map.of(decoy, edges.size());
    }
  }

  @Test
  void readsClassesFromSignaturesAndDescriptorsButNotFromStrings() throws IOException {
    try (InputStream in = Fixture.class.getResourceAsStream("PackageGraphTest$Fixture.class")) {
      assertThat(PackageGraph.referencedClasses(in))
          .contains("dev.zephyr.core.testing.PackageGraph$Edge", "dev.zephyr.core.testing.FileModes",
              "java.util.List", "java.util.Map")
          .doesNotContain("dev.zephyr.ghost.Ghost");
    }
  }

  @Test
  void findsTheLoopAndNamesTheClassesThatMakeIt() {
    PackageGraph g = PackageGraph.empty()
        .add("p.a.A", "p.b.B")
        .add("p.a.A2", "p.b.B2") // a second reference keeps the first as the example
        .add("p.b.B", "p.c.C")
        .add("p.c.C", "p.a.A$Inner")
        .add("p.d.D", "p.a.A")
        .add("p.a.A", "p.a.Other"); // same package: no edge

    assertThat(g.dependenciesOf("p.a")).containsExactly("p.b");
    assertThat(g.cycles()).containsExactly(List.of(
        new Edge("p.a", "p.b", "p.a.A", "p.b.B"),
        new Edge("p.b", "p.c", "p.b.B", "p.c.C"),
        new Edge("p.c", "p.a", "p.c.C", "p.a.A$Inner")));
    assertThat(g.describeCycles()).isEqualTo("""
        cycle:
          p.a -> p.b (p.a.A uses p.b.B)
          p.b -> p.c (p.b.B uses p.c.C)
          p.c -> p.a (p.c.C uses p.a.A$Inner)
        """);
  }

  @Test
  void aHierarchyHasNoCycles() {
    PackageGraph g = PackageGraph.empty().add("p.a.A", "p.b.B").add("p.b.B", "p.c.C").add("p.a.A", "p.c.C");
    assertThat(g.cycles()).isEmpty();
    assertThat(g.describeCycles()).isEmpty();
  }

  @Test
  void twoSeparateCyclesAreBothReported() {
    PackageGraph g = PackageGraph.empty()
        .add("x.a.A", "x.b.B").add("x.b.B", "x.a.A")
        .add("y.a.A", "y.b.B").add("y.b.B", "y.a.A");
    assertThat(g.cycles()).hasSize(2);
    assertThat(g.cycles().get(0).get(0).from()).isEqualTo("x.a");
    assertThat(g.cycles().get(1).get(0).from()).isEqualTo("y.a");
  }
}
