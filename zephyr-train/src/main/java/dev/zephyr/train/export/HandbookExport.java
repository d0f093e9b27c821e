package dev.zephyr.train.export;

import dev.zephyr.core.InvalidInputException;
import dev.zephyr.core.io.AtomicFiles;
import dev.zephyr.core.tokenizer.TokenizerConfig;
import dev.zephyr.train.data.EvalData;
import dev.zephyr.train.pipeline.Artifacts;
import dev.zephyr.train.pipeline.Ddpo;
import dev.zephyr.train.pipeline.Dsft;
import dev.zephyr.train.pipeline.External;
import dev.zephyr.train.pipeline.Pipeline;
import dev.zephyr.train.pipeline.Recipe;
import dev.zephyr.train.pipeline.RecipeStages;
import dev.zephyr.train.pipeline.RewardModeling;
import dev.zephyr.train.pipeline.Stage;
import dev.zephyr.train.pipeline.StageContext;
import dev.zephyr.train.pipeline.StageManifest;
import dev.zephyr.train.recipe.DpoConfig;
import dev.zephyr.train.recipe.DpoRun;
import dev.zephyr.train.recipe.SftConfig;
import dev.zephyr.train.recipe.SftRun;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Stream;

/**
 * Hands a pipeline's training stages to the alignment-handbook's scripts on accelerate + DeepSpeed ZeRO-3: for each
 * dSFT / SFT / dDPO stage, a handbook config with the same hyper-parameters ({@code <stage>.yaml}), its rows in the
 * columns TRL takes ({@code data/<stage>/train.jsonl}), and one {@code accelerate launch} line in {@code launch.sh};
 * plus {@code accelerate/deepspeed_zero3.yaml} and {@code EXPORT_NOTES.md}, which lists every setting with no
 * equivalent on either side and the stages that stay in zephyr (AI feedback, evaluation). The directory is written
 * under a temporary name and moved into place when complete.
 *
 * <pre>{@code
 * ExportResult r = HandbookExport.of(pipeline, studentDir, workDir, ExportOptions.defaults()).writeTo(out);
 * }</pre>
 *
 * <p>A stage the scripts cannot express (a loss TRL lacks, a reward model, a reference model of its own) fails the
 * export with an {@link Inexpressible} naming the stage and key, unless {@link ExportOptions#allowPartial()}.
 * Datasets that earlier stages produce in zephyr are taken from the work directory when those stages have run;
 * otherwise the notes say which stage writes them and {@code launch.sh} refuses to start without them.
 */
public final class HandbookExport {
  /** The notes file of an export. */
  public static final String NOTES = "EXPORT_NOTES.md";
  /** The launch script of an export. */
  public static final String LAUNCH = "launch.sh";

  private final String name;
  private final Pipeline pipeline;
  private final Path student;
  private final Path workDir;
  private final ExportOptions options;

  private HandbookExport(String name, Pipeline pipeline, Path student, Path workDir, ExportOptions options) {
    this.name = name;
    this.pipeline = Objects.requireNonNull(pipeline, "pipeline");
    this.student = student.toAbsolutePath().normalize();
    this.workDir = workDir.toAbsolutePath().normalize();
    this.options = Objects.requireNonNull(options, "options");
  }

  /** The export of a pipeline that starts from {@code student} and works (or would work) in {@code workDir}. */
  public static HandbookExport of(Pipeline pipeline, Path student, Path workDir, ExportOptions options) {
    return new HandbookExport("pipeline", pipeline, student, workDir, options);
  }

  /** The export of a recipe, its stages bound by {@code stages} exactly as {@code zephyr pipeline} binds them. */
  public static HandbookExport of(Recipe recipe, RecipeStages stages, Path workDir, ExportOptions options) {
    return new HandbookExport(recipe.name(), recipe.toPipeline(stages), recipe.student(), workDir, options);
  }

  /** What an export wrote. */
  public record ExportResult(Path dir, List<ExportedStage> stages, List<String> leftOut, List<String> pending) {}

  /** One exported training stage: its config, script, model output and dataset directory (relative paths). */
  public record ExportedStage(String id, String script, String config, String output, String data) {}

  /** Writes the export into {@code outDir}, replacing an earlier export there; anything else there is refused. */
  public ExportResult writeTo(Path outDir) {
    Path out = outDir.toAbsolutePath().normalize();
    if (Files.exists(out) && !isEmptyOrExport(out)) {
      throw new InvalidInputException(out.toString(), 0, null, "exists and is not an earlier export (no " + NOTES
          + "); choose an empty or new directory");
    }
    Path tmp;
    try {
      Files.createDirectories(out.getParent());
      tmp = Files.createTempDirectory(out.getParent(), "." + out.getFileName() + ".export-");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create a temporary directory beside " + out, e);
    }
    try {
      ExportResult r = write(tmp, out);
      replace(tmp, out);
      return r;
    } catch (RuntimeException | Error e) {
      deleteTree(tmp);
      throw e;
    }
  }

  private ExportResult write(Path tmp, Path out) {
    List<String> ids = pipeline.plan();
    List<Stage> stages = pipeline.stages();
    Notes notes = new Notes(name, options);
    List<LaunchFiles.Step> steps = new ArrayList<>();
    List<ExportedStage> exported = new ArrayList<>();
    List<String> leftOut = new ArrayList<>();
    List<String> pending = new ArrayList<>();
    String template = chatTemplate(notes);
    String model = student.toString();
    for (int i = 0; i < stages.size(); i++) {
      Stage s = stages.get(i);
      String id = ids.get(i);
      Training t = training(s, id);
      if (t == null) {
        if (s instanceof RewardModeling && s.produces().contains(Artifacts.REWARD_MODEL)
            && !s.given().containsKey(Artifacts.REWARD_MODEL)) {
          Inexpressible why = new Inexpressible(id, "rm", "the handbook has no reward-model script (TRL's"
              + " RewardTrainer is not wired into its scripts)");
          if (!options.allowPartial()) {
            throw why;
          }
          leftOut.add(id);
          notes.leftOut(id, why.why());
        } else if (s.given().containsKey(Artifacts.MODEL) && s.produces().contains(Artifacts.MODEL)) {
          model = s.given().get(Artifacts.MODEL).toAbsolutePath().normalize().toString();
          notes.inZephyr(id, "uses the model directory " + model);
        } else if (s instanceof External ext) {
          model = ext.modelDir().toAbsolutePath().normalize().toString();
          notes.inZephyr(id, "takes the model trained elsewhere from " + model);
        } else {
          notes.inZephyr(id, describe(s));
        }
        continue;
      }
      String data = "data/" + id;
      String output = "out/" + id;
      HandbookKeys keys = new HandbookKeys(id, options.numProcesses());
      Map<String, Object> yaml;
      DataFiles files;
      try {
        files = dataFiles(stages, ids, i, t.artifact());
        HandbookKeys.Data d = new HandbookKeys.Data(data, t.columns(), t.evalData());
        yaml = t.sft() != null
            ? keys.sft(t.sft(), t.seed(), model, d, template, output)
            : keys.dpo(t.dpo(), t.seed(), model, d, template, output);
      } catch (Inexpressible e) {
        if (!options.allowPartial()) {
          throw e;
        }
        leftOut.add(id);
        notes.leftOut(id, "`" + e.key() + "`: " + e.why());
        model = workDir.resolve(id).resolve(StageContext.MODEL_DIR).toString();
        continue;
      }
      List<String> dataFiles = new ArrayList<>();
      dataFiles.add(data + "/train.jsonl");
      if (!t.evalData().files().isEmpty()) {
        dataFiles.add(data + "/test.jsonl");
      }
      String missing = writeData(tmp, data, t, files);
      if (missing != null) {
        pending.add(id);
        notes.pending(id, data + "/train.jsonl", missing);
      }
      String config = id + ".yaml";
      AtomicFiles.writeString(tmp.resolve(config), HandbookYaml.write(List.of(
          "alignment-handbook " + t.script() + " config for stage " + id + " of " + name + ",",
          "written by zephyr export-recipe. Launch: ./" + LAUNCH + " " + id), yaml));
      notes.exported(id, t.script(), config, keys.notes());
      steps.add(new LaunchFiles.Step(id, t.script(), config, output, dataFiles));
      exported.add(new ExportedStage(id, t.script(), config, output, data));
      model = output;
    }
    if (steps.isEmpty()) {
      throw new InvalidInputException("pipeline " + name, 0, null, "has no training stage to export (dsft, sft or"
          + " ddpo that trains)" + (leftOut.isEmpty() ? "" : "; left out: " + leftOut));
    }
    AtomicFiles.writeString(tmp.resolve(LaunchFiles.ACCELERATE), LaunchFiles.accelerateConfig(options));
    Path launch = tmp.resolve(LAUNCH);
    AtomicFiles.writeString(launch, LaunchFiles.launchScript(options, steps));
    try {
      Files.setPosixFilePermissions(launch, PosixFilePermissions.fromString("rwxr-xr-x"));
    } catch (UnsupportedOperationException | IOException e) {
      // a file system without POSIX permissions: `bash launch.sh` still runs it
    }
    AtomicFiles.writeString(tmp.resolve(NOTES), notes.text());
    return new ExportResult(out, exported, leftOut, pending);
  }

  /** A training stage's settings and what it reads. */
  private record Training(String script, SftConfig sft, DpoConfig dpo, long seed, String artifact,
      List<String> columns, EvalData evalData) {}

  private Training training(Stage s, String id) {
    if (s instanceof Dsft d && d.sftStage() != null) {
      if (!(d.sftStage() instanceof SftRun run)) {
        throw new Inexpressible(id, "stage", "a custom SftStage (" + d.sftStage().getClass().getSimpleName()
            + ") has no recipe keys to export; use SftRun");
      }
      long seed = run.config().containsKey("seed") ? run.settings().training().seed() : pipeline.seed();
      return new Training("sft.py", run.settings(), null, seed, Artifacts.SFT_DATASET, TrlRows.SFT_COLUMNS,
          run.settings().evalData());
    }
    if (s instanceof Ddpo d && d.dpoStage() != null) {
      if (!(d.dpoStage() instanceof DpoRun run)) {
        throw new Inexpressible(id, "stage", "a custom DpoStage (" + d.dpoStage().getClass().getSimpleName()
            + ") has no recipe keys to export; use DpoRun");
      }
      long seed = run.config().containsKey("seed") ? run.settings().training().seed() : pipeline.seed();
      return new Training("dpo.py", null, run.settings(), seed, Artifacts.PREFERENCES, TrlRows.DPO_COLUMNS,
          run.settings().evalData());
    }
    return null;
  }

  /** Where a stage's rows come from: a file, or the stage that writes them in zephyr and has not yet. */
  private record DataFiles(Path file, String producer) {}

  private DataFiles dataFiles(List<Stage> stages, List<String> ids, int i, String artifact) {
    Stage s = stages.get(i);
    if (s.given().containsKey(artifact)) {
      return new DataFiles(s.given().get(artifact), null);
    }
    // a dSFT stage that generates its demonstrations writes them itself, before it trains
    int from = s.requires().contains(artifact) ? i - 1 : i;
    for (int j = from; j >= 0; j--) {
      Stage p = stages.get(j);
      if (!p.produces().contains(artifact)) {
        continue;
      }
      if (p.given().containsKey(artifact)) {
        return new DataFiles(p.given().get(artifact), null);
      }
      Path dir = workDir.resolve(ids.get(j));
      StageManifest m = StageManifest.read(dir).orElse(null);
      if (m != null && StageManifest.COMPLETED.equals(m.status()) && m.artifacts() != null
          && m.artifacts().get(artifact) != null) {
        return new DataFiles(dir.resolve(m.artifacts().get(artifact)).normalize(), null);
      }
      return new DataFiles(null, ids.get(j));
    }
    return new DataFiles(null, "no stage");
  }

  /** Writes the stage's rows; returns why they are missing, or null. */
  private static String writeData(Path tmp, String data, Training t, DataFiles files) {
    if (files.file() == null || !Files.isRegularFile(files.file())) {
      return files.file() != null ? "the recipe's file " + files.file() + " does not exist yet"
          : "stage " + files.producer() + " writes them in zephyr: run `zephyr pipeline` through that stage (the"
              + " export reads its manifest in the work directory), then export again";
    }
    write(tmp.resolve(data).resolve("train.jsonl"), List.of(files.file()), t);
    if (!t.evalData().files().isEmpty()) {
      write(tmp.resolve(data).resolve("test.jsonl"), t.evalData().files(), t);
    }
    return null;
  }

  private static void write(Path target, List<Path> sources, Training t) {
    try (BufferedWriter w = TrlRows.create(target)) {
      for (Path source : sources) {
        if (t.sft() != null) {
          TrlRows.sft(source, w);
        } else {
          TrlRows.dpo(source, w);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + target, e);
    }
  }

  private String chatTemplate(Notes notes) {
    if (options.chatTemplate() != null) {
      notes.template("the template given to the export");
      return options.chatTemplate();
    }
    if (!Files.isDirectory(student)) {
      notes.template("none written: the student " + student + " was not on disk at export time, so each stage uses"
          + " its tokenizer's own template (the handbook's sft.py falls back to ChatML when there is none); pass"
          + " --chat-template to set one");
      return null;
    }
    String t = TokenizerConfig.load(student).chatTemplate().orElseThrow(() -> new InvalidInputException(
        student.resolve("tokenizer_config.json").toString(), 0, "chat_template", "the student has no chat template"
            + " (zephyr's trainers would refuse it too); pass --chat-template"));
    notes.template("the student's own (" + student + ")");
    return t;
  }

  private static String describe(Stage s) {
    return switch (s.kind()) {
      case "aif" -> "AI feedback (completions, judge ratings, preference pairs) runs in zephyr";
      case "eval" -> "evaluation runs in zephyr, on the model the stages before it produced";
      case "bon" -> "best-of-N demonstrations run in zephyr";
      default -> "runs in zephyr";
    };
  }

  private static boolean isEmptyOrExport(Path dir) {
    if (Files.isRegularFile(dir.resolve(NOTES))) {
      return true;
    }
    try (Stream<Path> files = Files.list(dir)) {
      return files.findAny().isEmpty();
    } catch (IOException e) {
      return false;
    }
  }

  /** Moves the finished temporary directory into place, then removes the earlier export it replaces. */
  private static void replace(Path tmp, Path out) {
    try {
      Path old = null;
      if (Files.exists(out)) {
        old = out.resolveSibling("." + out.getFileName() + ".old-" + System.nanoTime());
        Files.move(out, old);
      }
      Files.move(tmp, out);
      if (old != null) {
        deleteTree(old);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot move the export into " + out, e);
    }
  }

  private static void deleteTree(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot remove " + dir, e);
    }
  }
}
