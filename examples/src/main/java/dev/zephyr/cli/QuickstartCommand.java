package dev.zephyr.cli;

import dev.zephyr.core.ZephyrException;
import dev.zephyr.core.progress.ConsoleProgress;
import dev.zephyr.quickstart.AlmostQuickstart;
import dev.zephyr.quickstart.AlmostStages;
import dev.zephyr.quickstart.Quickstart;
import dev.zephyr.quickstart.QuickstartStages;
import dev.zephyr.quickstart.QuickstartWorld;
import dev.zephyr.quickstart.TrainedStages;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code zephyr quickstart --seed 42 --work DIR}: the whole recipe offline on the miniature world, printing the
 * paper's ablation and writing {@code quickstart-results.json}; {@code --recipe almost} runs ALMoST instead and writes
 * {@code quickstart-almost-results.json}. Rerunning with the same arguments continues an interrupted run and skips
 * finished stages; the two recipes share the world, base and dSFT stages of one work directory.
 */
@Command(name = "quickstart", mixinStandardHelpOptions = true,
    description = "Run the Zephyr recipe (or ALMoST with --recipe almost) offline on a miniature world (rule-based"
        + " teacher and judge) and print the results.")
public final class QuickstartCommand implements Callable<Integer> {
  /** The recipes the quickstart runs. */
  enum Recipe { zephyr, almost }

  @Option(names = "--seed", defaultValue = "42", description = "Seed for every random choice.")
  long seed;

  @Option(names = "--work", defaultValue = "quickstart-work", paramLabel = "DIR",
      description = "Directory for all artifacts.")
  Path work;

  @Option(names = "--recipe", defaultValue = "zephyr", paramLabel = "NAME",
      description = "zephyr (dSFT, AI feedback, dDPO; default) or almost (synthetic comparisons, reward model,"
          + " RM-guided self-play, SFT, RLSF with PPO).")
  Recipe recipe;

  @Option(names = "--small", description = "The smaller setting the tests use (a smaller world and fewer training steps).")
  boolean small;

  private final QuickstartStages stages;

  /** The command with the real stages: a tiny Llama trained by zephyr-train, feedback from zephyr-data. */
  public QuickstartCommand() {
    this(null);
  }

  /** The command with given stages (simulated stages in tests); null means the real ones. */
  public QuickstartCommand(QuickstartStages stages) {
    this.stages = stages;
  }

  @Override
  public Integer call() {
    // The student is tiny: per-op overhead dominates, and a second libtorch thread only spins, badly so on a busy
    // machine (measured 2m15s with one thread against 14m50s with two while another build ran). The user's -D wins.
    if (System.getProperty("ai.djl.pytorch.num_threads") == null) {
      System.setProperty("ai.djl.pytorch.num_threads", "1");
    }
    QuickstartWorld world = small ? QuickstartWorld.small(seed) : QuickstartWorld.defaults(seed);
    QuickstartStages chosen = stages != null ? stages
        : new TrainedStages(small ? TrainedStages.Settings.small() : TrainedStages.Settings.defaults());
    try {
      if (recipe == Recipe.almost) {
        AlmostStages almost = new AlmostStages(small ? AlmostStages.Settings.small() : AlmostStages.Settings.defaults());
        new AlmostQuickstart(world, chosen, almost, System.out, ConsoleProgress.stderr()).run(work);
      } else {
        new Quickstart(world, chosen, System.out, ConsoleProgress.stderr()).run(work);
      }
      return 0;
    } catch (Exception e) {
      throw new ZephyrException(CliErrors.describe(e) + " (artifacts so far are in " + work.toAbsolutePath()
          + "; rerun the same command to continue)", e);
    }
  }
}
