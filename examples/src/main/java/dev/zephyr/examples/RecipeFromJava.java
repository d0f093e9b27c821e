package dev.zephyr.examples;

import dev.zephyr.core.chat.ChatModel;
import dev.zephyr.core.progress.ConsoleProgress;
import dev.zephyr.quickstart.ChattyTeacher;
import dev.zephyr.quickstart.HeldOutEvaluation;
import dev.zephyr.quickstart.NoisyTeacher;
import dev.zephyr.quickstart.QuickstartStages;
import dev.zephyr.quickstart.QuickstartWorld;
import dev.zephyr.quickstart.RuleBasedJudge;
import dev.zephyr.quickstart.RuleBasedTeacher;
import dev.zephyr.quickstart.TrainedStages;
import dev.zephyr.train.pipeline.Aif;
import dev.zephyr.train.pipeline.Dsft;
import dev.zephyr.train.pipeline.Pipeline;
import dev.zephyr.train.pipeline.PipelineEvent;
import dev.zephyr.train.pipeline.PipelineResult;
import dev.zephyr.train.pipeline.StageResult;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The Zephyr recipe (dSFT, AI feedback, dDPO, evaluation) written as Java code with the
 * {@link Pipeline} API instead of a YAML recipe.
 *
 * <p>With one argument it runs on the quickstart's small miniature world, offline: rule-based teacher and judge, a tiny
 * randomly initialised Llama student (without the quickstart's pretraining stage), 400 dSFT and 80 dDPO steps with
 * {@link TrainedStages.Settings#small()}; the whole run took about 13 minutes on the shared 2-core build machine
 * (evaluation: judge_score 2.8 for seed 42). With four it runs dSFT on your
 * demonstrations ({@code messages} column) and dDPO on your preferences ({@code ultrafeedback_binarized} layout),
 * starting from a local model directory, with the quickstart's small training settings. Rerunning the same command
 * skips finished stages and resumes an interrupted one.
 *
 * <pre>
 * mvn -B -ntp -DskipTests package
 * java -cp examples/target/zephyr.jar dev.zephyr.examples.RecipeFromJava WORK_DIR
 * java -cp examples/target/zephyr.jar dev.zephyr.examples.RecipeFromJava WORK_DIR STUDENT_DIR DEMOS.jsonl PREFS.jsonl
 * </pre>
 */
public final class RecipeFromJava {
  static final String USAGE = "usage: RecipeFromJava WORK_DIR [STUDENT_DIR DEMONSTRATIONS.jsonl PREFERENCES.jsonl]";

  private RecipeFromJava() {}

  public static void main(String[] args) {
    System.exit(run(args));
  }

  /** Runs the example; returns the process exit code (0 success, 1 failure, 2 bad usage). */
  public static int run(String... args) {
    if (args.length != 1 && args.length != 4) {
      System.err.println(USAGE);
      return 2;
    }
    Path work = Path.of(args[0]);
    TrainedStages stages = new TrainedStages(TrainedStages.Settings.small());
    try {
      PipelineResult result = args.length == 1 ? miniatureWorld(stages, work)
          : userFiles(stages, work, Path.of(args[1]), Path.of(args[2]), Path.of(args[3]));
      for (StageResult s : result.stages()) {
        System.out.println(s.id() + " " + s.status().name().toLowerCase() + " " + s.metrics());
      }
      System.out.println("final model: " + result.finalModel());
      return 0;
    } catch (Exception e) {
      System.err.println("RecipeFromJava: " + e.getMessage());
      return 1;
    }
  }

  /** dSFT on the teacher's demonstrations, AI feedback from a pool rated by the judge, dDPO, held-out evaluation. */
  private static PipelineResult miniatureWorld(TrainedStages stages, Path work) throws Exception {
    long seed = 42;
    QuickstartWorld world = QuickstartWorld.small(seed);
    QuickstartWorld.Files files = world.write(work.resolve("world"), new ChattyTeacher(seed, 0.6));
    Path student = work.resolve("init/model");
    if (!Files.isRegularFile(student.resolve("config.json"))) {
      stages.initStudent(files.tokenizer(), student, seed);
    }
    ChatModel judge = new RuleBasedJudge();
    QuickstartStages.FeedbackSetup feedback = new QuickstartStages.FeedbackSetup(files.aifPrompts(), student,
        new NoisyTeacher(seed, 0.5), new RuleBasedTeacher(), judge, 4, seed);
    return Pipeline.dsft(Dsft.of(stages.sft()).fromDataset(files.demonstrations()))
        .aif(Aif.of(stages.feedback(feedback)).samplingStudent())
        .ddpo(stages.dpo())
        .evaluate(new HeldOutEvaluation(files.heldOut(), judge, 32))
        .modelLoader(stages.loader())
        .listener(RecipeFromJava::print)
        .progress(ConsoleProgress.stderr())                 // bars for the steps, calls and rows inside each stage
        .seed(seed)
        .run(student, work.resolve("recipe"));
  }

  /** dSFT on given demonstrations, then dDPO on given preferences (the AI feedback stage reads the file). */
  private static PipelineResult userFiles(TrainedStages stages, Path work, Path student, Path demonstrations,
      Path preferences) {
    return Pipeline.dsft(Dsft.of(stages.sft()).fromDataset(demonstrations))
        .aif(Aif.preferences(preferences))
        .ddpo(stages.dpo())
        .listener(RecipeFromJava::print)
        .progress(ConsoleProgress.stderr())                 // bars for the steps, calls and rows inside each stage
        .seed(42)
        .run(student, work.resolve("recipe"));
  }

  private static void print(PipelineEvent e) {
    if (e instanceof PipelineEvent.StageStarted s) {
      System.out.println("[" + s.id() + "] " + (s.resuming() ? "resuming" : "running"));
    } else if (e instanceof PipelineEvent.StageSkipped s) {
      System.out.println("[" + s.id() + "] unchanged, skipped");
    }
  }
}
