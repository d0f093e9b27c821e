package dev.zephyr.quickstart;

import dev.zephyr.core.progress.Progress;
import dev.zephyr.train.pipeline.Artifacts;
import dev.zephyr.train.pipeline.Dsft;
import dev.zephyr.train.pipeline.Pipeline;
import dev.zephyr.train.pipeline.PipelineEvent;
import dev.zephyr.train.pipeline.PipelineListener;
import dev.zephyr.train.pipeline.PipelineResult;
import dev.zephyr.train.pipeline.StageContext;
import dev.zephyr.train.pipeline.StageResult;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * What both quickstart recipes share, in the same directories so that a second recipe run in the same work directory
 * skips it: the world ({@code world/}), the random student ({@code init/}), pretraining ({@code base/01-pretrain}),
 * dSFT ({@code zephyr/01-dsft}) and the held-out evaluations ({@code eval/<model>/}), with one line printed per stage.
 */
final class RecipeStart {
  private final QuickstartWorld world;
  private final QuickstartStages stages;
  private final PrintStream out;
  private final Progress progress;

  RecipeStart(QuickstartWorld world, QuickstartStages stages, PrintStream out, Progress progress) {
    this.world = world;
    this.stages = stages;
    this.out = out;
    this.progress = progress;
  }

  /** The world's files and the pretrained base model. */
  record Started(QuickstartWorld.Files files, Path baseModel, PipelineResult base) {}

  /** Writes the world, makes the random student when needed and pretrains it (skipped when done). */
  Started start(Path work) throws Exception {
    long seed = world.seed();
    // dSFT demonstrations come from a teacher that is always right but often chatty, as chat-model data is
    QuickstartWorld.Files files = world.write(work.resolve("world"), new ChattyTeacher(seed, Quickstart.CHATTINESS));
    Path init = work.resolve("init/model");
    if (!Files.isRegularFile(init.resolve("config.json")) || !sameTokenizer(init, files.tokenizer())) {
      init = stages.initStudent(files.tokenizer(), init, seed);
    }
    PipelineResult base = Pipeline.dsft(Dsft.of(stages.pretraining()).fromDataset(files.pretraining()).named("pretrain"))
        .seed(seed).listener(stageLines("base")).progress(progress.scoped("base")).run(init, work.resolve("base"));
    return new Started(files, base.finalModel(), base);
  }

  /** The dSFT step the Zephyr recipe starts with, as {@code zephyr/01-dsft}: the same stage, so it is done once. */
  Dsft dsft(Started started) {
    return Dsft.of(stages.sft()).fromDataset(started.files().demonstrations());
  }

  /** Evaluates {@code model} under {@code eval/<name>} ('+' becomes '_' in the directory name). */
  PipelineResult evaluate(String name, Path model, HeldOutEvaluation evaluation, Path work) {
    return Pipeline.empty().evaluate(evaluation).modelLoader(stages.loader()).seed(world.seed())
        .listener(stageLines("eval/" + name)).progress(progress.scoped("eval/" + name))
        .run(model, work.resolve("eval").resolve(name.replace('+', '_')));
  }

  /**
   * Prints a line when a stage starts, is skipped or finishes ({@code [zephyr/02-aif] running}); the work inside a
   * stage is reported to the progress.
   */
  PipelineListener stageLines(String pipeline) {
    return e -> {
      if (e instanceof PipelineEvent.StageStarted s) {
        out.printf(Locale.ROOT, "[%s/%s] %s%n", pipeline, s.id(), s.resuming() ? "resuming" : "running");
      } else if (e instanceof PipelineEvent.StageSkipped s) {
        out.printf(Locale.ROOT, "[%s/%s] unchanged, skipped%n", pipeline, s.id());
      } else if (e instanceof PipelineEvent.StageFinished f && f.result().status() != StageResult.Status.SKIPPED) {
        out.printf(Locale.ROOT, "[%s/%s] done in %.1f s %s%n", pipeline, f.result().id(),
            f.result().elapsed().toMillis() / 1e3, f.result().metrics());
      }
    };
  }

  /** The trainer's {@code metrics.jsonl} in a training stage's run directory. */
  static Path metrics(PipelineResult result, String stage) {
    return result.stage(stage).orElseThrow().dir().resolve(StageContext.RUN_DIR).resolve("metrics.jsonl");
  }

  /** The graded answers an evaluation pipeline wrote. */
  static Path answers(PipelineResult eval) {
    return eval.artifact(Artifacts.EVALUATION + "/answers").orElseThrow();
  }

  /** False when the student in {@code modelDir} was made for another world's tokenizer (another size or seed). */
  private static boolean sameTokenizer(Path modelDir, Path tokenizerDir) throws IOException {
    Path a = modelDir.resolve("tokenizer.json");
    Path b = tokenizerDir.resolve("tokenizer.json");
    return !Files.isRegularFile(a) || !Files.isRegularFile(b) || Files.mismatch(a, b) == -1;
  }
}
