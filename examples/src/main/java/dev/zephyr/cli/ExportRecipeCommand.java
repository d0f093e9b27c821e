package dev.zephyr.cli;

import dev.zephyr.core.tokenizer.ChatTemplate;
import dev.zephyr.eval.stage.Evaluations;
import dev.zephyr.train.export.ExportOptions;
import dev.zephyr.train.export.HandbookExport;
import dev.zephyr.train.pipeline.Recipe;
import dev.zephyr.train.recipe.ReadyStages;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code zephyr export-recipe --config RECIPE.yaml --out DIR} ({@code --output} also works): the recipe's training stages as alignment-handbook
 * configs, TRL-column datasets, a DeepSpeed ZeRO-3 accelerate config and {@code launch.sh}
 * ({@link HandbookExport}); the stages are bound exactly as {@code zephyr pipeline} binds them.
 */
@Command(name = "export-recipe", mixinStandardHelpOptions = true,
    description = "Export a recipe's training stages for the alignment-handbook's scripts on accelerate + DeepSpeed"
        + " ZeRO-3 (configs, datasets, launch.sh, EXPORT_NOTES.md).")
public final class ExportRecipeCommand implements Callable<Integer> {
  @Option(names = "--config", required = true, paramLabel = "FILE.yaml",
      description = "Recipe YAML file, or builtin:zephyr-7b-beta / builtin:zephyr-7b-beta-handbook.")
  String config;

  @Spec
  CommandSpec spec;

  // required, but checked in call(): picocli would not count the hidden --output towards a required option
  @Option(names = "--out", paramLabel = "DIR", description = "Where the export is written (required; a new or"
      + " empty directory, or an earlier export, which is replaced).")
  Path output;

  /** The and the handbook docs' spelling; --out is the program's name for an output directory. */
  @Option(names = "--output", paramLabel = "DIR", hidden = true, description = "another name of --out")
  void outputDir(Path dir) {
    output = dir;
  }

  @Option(names = "--work", paramLabel = "DIR",
      description = "The pipeline's work directory, where datasets earlier stages produced are read"
          + " (default: the recipe's work_dir).")
  Path work;

  @Option(names = "--num-processes", paramLabel = "N", defaultValue = "8",
      description = "GPUs over all machines (accelerate --num_processes; default ${DEFAULT-VALUE}).")
  int numProcesses;

  @Option(names = "--num-machines", paramLabel = "N", defaultValue = "1",
      description = "Nodes (accelerate --num_machines; default ${DEFAULT-VALUE}).")
  int numMachines;

  @Option(names = "--allow-partial", description = "Leave out stages the handbook's scripts cannot express and list"
      + " them in EXPORT_NOTES.md, instead of failing.")
  boolean allowPartial;

  @Option(names = "--chat-template", paramLabel = "zephyr|chatml|FILE",
      description = "The chat template to write into every stage's config (default: the student's own).")
  String chatTemplate;

  private final PrintStream out;

  public ExportRecipeCommand() {
    this(System.out);
  }

  ExportRecipeCommand(PrintStream out) {
    this.out = out;
  }

  @Override
  public Integer call() throws IOException {
    if (output == null) {
      throw CliErrors.usageError(spec, "Missing required option: '--out=DIR'");
    }
    Recipe recipe = PipelineCommand.loadRecipe(config);
    ExportOptions options = ExportOptions.defaults().withProcesses(numProcesses, numMachines)
        .withAllowPartial(allowPartial);
    if (chatTemplate != null) {
      options = options.withChatTemplate(switch (chatTemplate) {
        case "zephyr" -> ChatTemplate.ZEPHYR_SOURCE;
        case "chatml" -> ChatTemplate.CHATML_SOURCE;
        default -> Files.readString(Path.of(chatTemplate));
      });
    }
    ReadyStages stages = new ReadyStages(recipe.baseDir(), Evaluations::of, dir -> PipelineCommand.open(dir, null));
    HandbookExport.ExportResult r = HandbookExport.of(recipe, stages, work != null ? work : recipe.workDir(), options)
        .writeTo(output);
    for (HandbookExport.ExportedStage s : r.stages()) {
      out.println(s.id() + "  scripts/" + s.script() + "  " + r.dir().resolve(s.config())
          + (r.pending().contains(s.id()) ? "   [dataset missing, see " + HandbookExport.NOTES + "]" : ""));
    }
    r.leftOut().forEach(id -> out.println(id + "  left out (see " + HandbookExport.NOTES + ")"));
    out.println("launch: " + r.dir().resolve(HandbookExport.LAUNCH));
    return 0;
  }
}
