package dev.zephyr.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * {@code examples/src/main} assembles no trainer: the CLI, the quickstart and the example programs reach training
 * through zephyr-train's ready entries only ({@code TrainingRuns}, {@code SftRun}, {@code DpoRun}...), so that every
 * path trains the same way and records the config it ran with. The rule is {@link TrainerAssemblyScan}'s.
 */
class NoTrainerInExamplesTest {
  @Test
  void noMainSourceOfExamplesAssemblesATrainer() throws IOException {
    Path root = mainSources();
    List<String> findings = new ArrayList<>();
    int scanned = 0;
    try (Stream<Path> files = Files.walk(root)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".java")).sorted().toList()) {
        String rel = root.relativize(f).toString().replace('\\', '/');
        findings.addAll(TrainerAssemblyScan.findings("examples/src/main/java/" + rel, Files.readString(f)));
        scanned++;
      }
    }
    assertThat(scanned).as("sources scanned under " + root).isGreaterThan(50);
    assertThat(findings).as("examples/src/main must reach trainers through zephyr-train's ready stages"
        + " (TrainingRuns, SftRun, DpoRun...), not assemble them").isEmpty();
  }

  @Test
  void theRuleNamesEachWayOfAssemblingATrainerWithItsLine() {
    String src = """
        package x;

        import dev.zephyr.train.dpo.DpoLoss;
        import dev.zephyr.train.loop.*;
        import dev.zephyr.train.sft.SftTask;
        import dev.zephyr.train.optim.SchedulerType;

        class X {
          void run(TrainingArguments args) {
            var t = new Trainer<>(args, new SftTask(model), rows, params);
            var d = new dev.zephyr.train.dpo.DpoTask(model, null, DpoLoss.sigmoid(0.1));
            var o = dev.zephyr.train.optim.Optimizers.create(args, params);
            var r = dev.zephyr.train.dpo.ReferenceLogps.cached(dir, model, "", pairs, 8, p);
            class Mine implements TrainingTask<String, String> {}
          }
        }
        """;
    assertThat(TrainerAssemblyScan.findings("X.java", src)).containsExactly(
        "X.java:5: names the training task SftTask",
        "X.java:10: constructs the training loop (new Trainer)",
        "X.java:10: names the training task SftTask",
        "X.java:11: names the training task DpoTask",
        "X.java:12: names the optimizer class Optimizers",
        "X.java:13: computes DPO reference log-probs (ReferenceLogps)",
        "X.java:14: names the training task TrainingTask");
  }

  @Test
  void configurationResultsCommentsAndStringsAreNotFindings() {
    String src = """
        package x;

        import dev.zephyr.train.loop.Trainer;
        import dev.zephyr.train.loop.TrainingArguments;
        import dev.zephyr.train.optim.SchedulerType;
        import dev.zephyr.train.recipe.TrainingRuns;

        /** Unlike a hand-made new Trainer<>(args, new DpoTask(...)), this runs the library's. */
        class X {
          // new SftTask(model) would assemble one
          String help = "new Trainer(args) with AdamW";
          String block = \"""
              new RewardTask(rm)
              \""";
          Trainer.TrainResult run(SftConfig c) {
            TrainingArguments.builder(dir).lrSchedulerType(SchedulerType.COSINE);
            return TrainingRuns.sft(c);
          }
        }
        """;
    assertThat(TrainerAssemblyScan.findings("X.java", src)).isEmpty();
  }

  /** {@code examples/src/main/java}, from the module directory (Maven's working directory) or the repository root. */
  private static Path mainSources() {
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
      for (Path candidate : List.of(p.resolve("src/main/java/dev/zephyr/cli"),
          p.resolve("examples/src/main/java/dev/zephyr/cli"))) {
        if (Files.isDirectory(candidate)) {
          return candidate.getParent().getParent().getParent();
        }
      }
    }
    throw new IllegalStateException("examples/src/main/java not found above " + Path.of("").toAbsolutePath());
  }
}
