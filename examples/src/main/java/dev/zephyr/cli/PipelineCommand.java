package dev.zephyr.cli;

import ai.djl.Device;
import dev.zephyr.core.device.Devices;
import picocli.CommandLine.Mixin;
import dev.zephyr.core.ZephyrException;
import dev.zephyr.core.chat.ChatModel;
import dev.zephyr.core.io.Json;
import dev.zephyr.core.progress.ConsoleProgress;
import dev.zephyr.eval.stage.Evaluations;
import dev.zephyr.train.pipeline.Pipeline;
import dev.zephyr.train.pipeline.PipelineEvent;
import dev.zephyr.train.pipeline.PipelineResult;
import dev.zephyr.train.pipeline.Recipe;
import dev.zephyr.train.pipeline.RecipeStages;
import dev.zephyr.train.pipeline.Stage;
import dev.zephyr.train.pipeline.StageResult;
import dev.zephyr.train.recipe.ReadyStages;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Function;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code zephyr pipeline --config recipe.yaml}: runs a recipe (dSFT, AI feedback, dDPO, reward model, best-of-N,
 * evaluation...) stage by stage under its work directory with the library's ready stages ({@link ReadyStages}, with
 * zephyr-eval's {@link Evaluations}); rerunning skips finished stages and resumes an interrupted one. Built-in recipes:
 * {@code --config builtin:zephyr-7b-beta} and {@code builtin:zephyr-7b-beta-handbook}. {@code --dry-run} binds every
 * stage's options into its config record, prints the plan, each stage's configuration and any missing local path,
 * and runs nothing; it exits with 1 when anything is wrong.
 */
@Command(name = "pipeline", mixinStandardHelpOptions = true,
    description = "Run a Zephyr recipe from YAML (see recipes/zephyr-7b-beta.yaml).")
public final class PipelineCommand implements Callable<Integer> {
  private static final String BUILTIN = "builtin:";

  @Option(names = "--config", required = true, paramLabel = "FILE.yaml",
      description = "Recipe YAML file, or builtin:zephyr-7b-beta / builtin:zephyr-7b-beta-handbook.")
  String config;

  @Option(names = "--work", paramLabel = "DIR", description = "Override the recipe's work_dir.")
  Path work;

  @Option(names = "--dry-run", description = "Check the stages' options, print the plan and check local paths;"
      + " run nothing. Exits with 1 when a check fails or a path is missing.")
  boolean dryRun;

  @Option(names = "--allow-config-change", description = "Let a training stage resume from its checkpoint even if"
      + " its effective hyper-parameters differ from the ones the checkpoint stores (a stage whose recipe options"
      + " changed is rerun from scratch anyway); a warning names them.")
  boolean allowConfigChange;

  @Mixin DeviceOption device;

  private final Function<Recipe, RecipeStages> stagesFor;
  private final PrintStream out;

  public PipelineCommand() {
    this(System.out);
  }

  /** The library's ready stages, printing to {@code out}. */
  PipelineCommand(PrintStream out) {
    this.stagesFor = recipe -> new ReadyStages(recipe.baseDir(), Evaluations::of,
        dir -> open(dir, Devices.parse(recipe.device(), "recipe", "device")));
    this.out = out;
  }

  /** With a fixed stage factory (a mock in tests). */
  public PipelineCommand(RecipeStages stages, PrintStream out) {
    this.stagesFor = recipe -> stages;
    this.out = out;
  }

  @Override
  public Integer call() {
    Recipe recipe = loadRecipe();
    if (device.isSet()) {
      recipe = recipe.onDevice(Devices.name(device.resolve()));
    }
    Path workDir = work != null ? work : recipe.workDir();
    RecipeStages stages = stagesFor.apply(recipe);
    if (allowConfigChange && stages instanceof ReadyStages ready) {
      stages = ready.allowingConfigChange();
    }
    // every stage's options are bound into its config record here: a bad key fails before anything runs
    Pipeline p = recipe.toPipeline(stages);
    if (dryRun) {
      return dryRun(recipe, p, workDir);
    }
    PipelineResult r = p.listener(this::print).progress(ConsoleProgress.stderr()).run(recipe.student(), workDir);
    out.println("final model: " + r.finalModel());
    for (StageResult s : r.stages()) {
      out.println(s.id() + " " + s.status().name().toLowerCase() + " " + s.metrics());
    }
    return 0;
  }

  Recipe loadRecipe() {
    return loadRecipe(config);
  }

  /** A recipe file, or {@code builtin:NAME} (relative paths then resolve against the working directory). */
  static Recipe loadRecipe(String config) {
    if (config.startsWith(BUILTIN)) {
      String name = config.substring(BUILTIN.length());
      String resource = "/recipes/" + name + ".yaml";
      try (InputStream in = PipelineCommand.class.getResourceAsStream(resource)) {
        if (in == null) {
          throw new ZephyrException("no built-in recipe '" + name
              + "' (have zephyr-7b-beta, zephyr-7b-beta-handbook)");
        }
        return Recipe.parse(in, config, Path.of("").toAbsolutePath());
      } catch (java.io.IOException e) {
        throw new ZephyrException("cannot read built-in recipe " + name, e);
      }
    }
    return Recipe.load(Path.of(config));
  }

  private int dryRun(Recipe recipe, Pipeline p, Path workDir) {
    p.validate();
    out.println("recipe " + recipe.name() + " (seed " + recipe.seed() + ")");
    out.println("student  " + recipe.student() + (Files.exists(recipe.student()) ? "" : "   [missing]"));
    out.println("work dir " + workDir);
    int missing = Files.exists(recipe.student()) ? 0 : 1;
    for (int i = 0; i < p.stages().size(); i++) {
      Stage s = p.stages().get(i);
      out.println(p.plan().get(i) + "  " + Json.mapper().valueToTree(s.config()));
      for (Map.Entry<String, Path> g : s.given().entrySet()) {
        boolean exists = Files.exists(g.getValue());
        missing += exists ? 0 : 1;
        out.println("    " + g.getKey() + ": " + g.getValue() + (exists ? "" : "   [missing]"));
      }
    }
    if (missing > 0) {
      // the plan is printed; the missing paths make the check fail (exit code 1)
      throw new ZephyrException(missing + " local path(s) missing (marked [missing] above)");
    }
    out.println("all local paths exist");
    return 0;
  }

  private void print(PipelineEvent e) {
    if (e instanceof PipelineEvent.StageStarted s) {
      out.println("[" + s.id() + "] " + (s.resuming() ? "resuming" : "running"));
    } else if (e instanceof PipelineEvent.StageSkipped s) {
      out.println("[" + s.id() + "] unchanged, skipped");
    }
  }

  /**
   * A stage's model directory as the CLI's local chat model, named {@code <stage>/<dir>} (e.g. 03-ddpo/model); a PEFT
   * adapter directory is applied, unmerged, to the base its {@code adapter_config.json} names.
   */
  static ChatModel open(Path modelDir, Device device) {
    Path abs = modelDir.toAbsolutePath().normalize();
    String name = abs.getParent() == null ? abs.getFileName().toString()
        : abs.getParent().getFileName() + "/" + abs.getFileName();
    return ChatModels.underTest(name, null, abs, null, null, null, device);
  }
}
