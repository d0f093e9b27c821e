package dev.zephyr.examples;

import dev.zephyr.core.chat.ChatModel;
import dev.zephyr.core.chat.endpoint.EndpointSpec;
import dev.zephyr.core.generate.LocalChatModel;
import dev.zephyr.core.progress.ConsoleProgress;
import dev.zephyr.eval.mtbench.AnswerGenerator;
import dev.zephyr.eval.mtbench.ModelAnswer;
import dev.zephyr.eval.mtbench.MtBench;
import dev.zephyr.eval.mtbench.MtBenchJudge;
import dev.zephyr.eval.mtbench.MtBenchScores;
import dev.zephyr.eval.mtbench.SingleJudgment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * MT-Bench for a local model: answers to both turns of every question from a Hugging Face model directory (loaded
 * with {@link LocalChatModel#fromDirectory}, prompts formatted with its tokenizer's chat template), then FastChat's
 * single-answer grading (scores 1 to 10) by a judge behind an OpenAI-compatible endpoint, and the scores per turn.
 *
 * <p>The bench directory has FastChat's {@code mt_bench} layout ({@code question.jsonl}, and
 * {@code reference_answer/JUDGE_MODEL.jsonl} for the math, reasoning and coding questions). Answers go to
 * {@code BENCH/model_answer/<model dir name>.jsonl} and judgments to
 * {@code BENCH/model_judgment/JUDGE_MODEL_single.jsonl}; both steps resume. When {@code OPENAI_API_KEY} is set it is
 * sent to the judge. The command-line version is {@code zephyr mt-bench answer|judge|show}.
 *
 * <pre>
 * mvn -B -ntp -DskipTests package
 * java -cp examples/target/zephyr.jar dev.zephyr.examples.MtBenchLocal \
 *     data/mt_bench models/zephyr-dpo https://api.openai.com/v1 [JUDGE_MODEL (default gpt-4)] [FIRST_N]
 * </pre>
 */
public final class MtBenchLocal {
  static final String USAGE = "usage: MtBenchLocal BENCH_DIR MODEL_DIR JUDGE_URL [JUDGE_MODEL] [FIRST_N]";

  private MtBenchLocal() {}

  public static void main(String[] args) {
    System.exit(run(args));
  }

  /** Runs the example; returns the process exit code (0 success, 1 failure, 2 bad usage). */
  public static int run(String... args) {
    if (args.length < 3 || args.length > 5) {
      System.err.println(USAGE);
      return 2;
    }
    Path benchDir = Path.of(args[0]);
    Path modelDir = Path.of(args[1]);
    String judgeModel = args.length >= 4 ? args[3] : "gpt-4";
    if (!Files.isRegularFile(benchDir.resolve("question.jsonl"))) {
      System.err.println("MtBenchLocal: no question.jsonl in bench directory " + benchDir);
      return 1;
    }
    if (!Files.isRegularFile(modelDir.resolve("config.json"))) {
      System.err.println("MtBenchLocal: no config.json in model directory " + modelDir);
      return 1;
    }
    try {
      int firstN = args.length == 5 ? Integer.parseInt(args[4]) : Integer.MAX_VALUE;
      MtBench bench = MtBench.load(benchDir);
      String modelId = modelDir.toAbsolutePath().normalize().getFileName().toString();
      var questions = bench.questions();
      questions = questions.subList(0, Math.min(firstN, questions.size()));

      AnswerGenerator.Result answered;
      Path answerFile = benchDir.resolve("model_answer").resolve(modelId + ".jsonl");
      try (LocalChatModel model = LocalChatModel.fromDirectory(modelDir)) {
        // FastChat's defaults: 1024 new tokens per turn, one choice; no system message
        answered = new AnswerGenerator(model, modelId, 1024, 1, 8, null).progress(ConsoleProgress.stderr())
            .generate(questions, answerFile);
      }
      System.out.println("answers: " + answered.counts().line() + " in " + answerFile);
      if (!answered.counts().complete()) {
        System.err.println("MtBenchLocal: not every question was answered; see " + answered.failuresFile());
        return 1;
      }
      Map<Integer, ModelAnswer> answers = answered.answers();

      Path judgmentFile = benchDir.resolve("model_judgment").resolve(judgeModel + "_single.jsonl");
      String keyEnv = System.getenv("OPENAI_API_KEY") != null ? "OPENAI_API_KEY" : null;
      MtBenchJudge.Result<SingleJudgment> judged;
      try (ChatModel judge = EndpointSpec.of(args[2], judgeModel, keyEnv).open()) {
        judged = new MtBenchJudge(judge, judgeModel, bench, 8).progress(ConsoleProgress.stderr())
            .judgeSingle(modelId, answers, judgmentFile);
      }
      System.out.println("judgments: " + judged.counts().line() + " in " + judgmentFile);
      if (!judged.counts().complete()) {
        System.err.println("MtBenchLocal: not every answer was judged"
            + (judged.stopReason() != null ? " (" + judged.stopReason() + ")" : "") + "; see " + judged.failuresFile());
        return 1;
      }
      List<SingleJudgment> judgments = judged.judgments();
      for (MtBenchScores.SingleResult r : MtBenchScores.single(judgments, bench::category)) {
        System.out.printf(Locale.ROOT, "%s: score %.2f (turn 1 %.2f, turn 2 %.2f), %d judged, %d failed%n",
            r.model(), r.score(), r.turn1(), r.turn2(), r.judged(), r.failed());
      }
      return 0;
    } catch (NumberFormatException e) {
      System.err.println("MtBenchLocal: FIRST_N must be a whole number, got " + args[4]);
      return 2;
    } catch (RuntimeException e) {
      System.err.println("MtBenchLocal: " + e.getMessage());
      return 1;
    }
  }
}
