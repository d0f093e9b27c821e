package dev.zephyr.cli;

import dev.zephyr.core.ZephyrException;
import dev.zephyr.core.eval.EvalReport;
import dev.zephyr.core.eval.Evaluation;
import dev.zephyr.core.io.Json;
import dev.zephyr.core.progress.ConsoleProgress;
import dev.zephyr.train.pipeline.BestOfNStage;
import dev.zephyr.train.pipeline.DpoStage;
import dev.zephyr.train.pipeline.FeedbackStage;
import dev.zephyr.train.pipeline.ModelLoader;
import dev.zephyr.train.pipeline.Pipeline;
import dev.zephyr.train.pipeline.PipelineEvent;
import dev.zephyr.train.pipeline.PipelineResult;
import dev.zephyr.train.pipeline.Recipe;
import dev.zephyr.train.pipeline.RecipeStages;
import dev.zephyr.train.pipeline.RewardModelStage;
import dev.zephyr.train.pipeline.SftStage;
import dev.zephyr.train.pipeline.Stage;
import dev.zephyr.train.pipeline.StageContext;
import dev.zephyr.train.pipeline.StageResult;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code zephyr pipeline --config recipe.yaml}: runs a recipe (dSFT, AI feedback, dDPO, evaluation...) stage by
 * stage under its work directory with {@link LocalRecipeStages}; rerunning skips finished stages and resumes an
 * interrupted one. Built-in recipes: {@code --config builtin:zephyr-7b-beta} and
 * {@code builtin:zephyr-7b-beta-handbook}. {@code --dry-run} checks every stage's options, prints the plan, each
 * stage's configuration and any missing local path, and runs nothing; it exits with 1 when anything is wrong.
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

  private final RecipeStages stages;
  private final PrintStream out;

  public PipelineCommand() {
    this(new LocalRecipeStages(), System.out);
  }

  /** With a stage factory ({@link LocalRecipeStages}, or a mock in tests); null means none is wired. */
  public PipelineCommand(RecipeStages stages, PrintStream out) {
    this.stages = stages;
    this.out = out;
  }

  @Override
  public Integer call() {
    Recipe recipe = loadRecipe();
    Path workDir = work != null ? work : recipe.workDir();
    if (dryRun) {
      return dryRun(recipe, workDir);
    }
    if (stages == null) {
      throw new ZephyrException("this build has no training stages wired in (SFT/DPO trainers, feedback "
          + "collection, evaluators); use --dry-run to check the recipe");
    }
    RecipeStages wired = allowConfigChange && stages instanceof LocalRecipeStages local
        ? local.allowingConfigChange() : stages;
    Pipeline p = recipe.toPipeline(wired).listener(this::print).progress(ConsoleProgress.stderr());
    PipelineResult r = p.run(recipe.student(), workDir);
    out.println("final model: " + r.finalModel());
    for (StageResult s : r.stages()) {
      out.println(s.id() + " " + s.status().name().toLowerCase() + " " + s.metrics());
    }
    return 0;
  }

  Recipe loadRecipe() {
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

  private int dryRun(Recipe recipe, Path workDir) {
    if (stages != null) {
      // the real stages read their options when built: a bad key or an unwired stage fails here, running nothing
      recipe.toPipeline(stages);
    }
    Pipeline p = recipe.toPipeline(new Describing());
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

  /** Stages that only describe their options: enough to plan, never to run. */
  private static final class Describing implements RecipeStages {
    private static UnsupportedOperationException dry() {
      return new UnsupportedOperationException("dry run");
    }

    @Override public SftStage sft(Map<String, Object> options) {
      return new SftStage() {
        @Override public Map<String, Object> config() {
          return options;
        }

        @Override public Path train(Path model, Path dataset, StageContext ctx) {
          throw dry();
        }
      };
    }

    @Override public FeedbackStage feedback(Map<String, Object> options) {
      return new FeedbackStage() {
        @Override public Map<String, Object> config() {
          return options;
        }

        @Override public Path completions(StageContext ctx) {
          throw dry();
        }

        @Override public Path ratings(Path completions, StageContext ctx) {
          throw dry();
        }

        @Override public Path binarize(Path ratings, StageContext ctx) {
          throw dry();
        }
      };
    }

    @Override public DpoStage dpo(Map<String, Object> options) {
      return new DpoStage() {
        @Override public Map<String, Object> config() {
          return options;
        }

        @Override public Path train(Path model, Path preferences, StageContext ctx) {
          throw dry();
        }
      };
    }

    @Override public RewardModelStage rewardModel(Map<String, Object> options) {
      return new RewardModelStage() {
        @Override public Map<String, Object> config() {
          return options;
        }

        @Override public Path train(Path model, Path comparisons, StageContext ctx) {
          throw dry();
        }
      };
    }

    @Override public BestOfNStage bestOfN(Map<String, Object> options) {
      return new BestOfNStage() {
        @Override public Map<String, Object> config() {
          return options;
        }

        @Override public Path demonstrations(Path policy, Path rewardModel, StageContext ctx) {
          throw dry();
        }
      };
    }

    @Override public Evaluation evaluation(String name, Map<String, Object> options) {
      return new Evaluation() {
        @Override public String name() {
          return name;
        }

        @Override public Map<String, Object> config() {
          return options;
        }

        @Override public EvalReport evaluate(dev.zephyr.core.chat.ChatModel model, Path outputDir) {
          throw dry();
        }
      };
    }

    @Override public ModelLoader loader() {
      return dir -> {
        throw dry();
      };
    }
  }
}
