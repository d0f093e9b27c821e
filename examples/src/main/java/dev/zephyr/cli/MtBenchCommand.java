package dev.zephyr.cli;

import dev.zephyr.core.ZephyrException;
import dev.zephyr.core.chat.ChatModel;
import dev.zephyr.core.io.AtomicFiles;
import dev.zephyr.core.io.Jsonl;
import dev.zephyr.core.progress.ConsoleProgress;
import dev.zephyr.eval.mtbench.AnswerGenerator;
import dev.zephyr.eval.mtbench.JudgeRequest;
import dev.zephyr.eval.mtbench.JudgmentCoverage;
import dev.zephyr.eval.mtbench.ModelAnswer;
import dev.zephyr.eval.mtbench.MtBench;
import dev.zephyr.eval.mtbench.MtBenchJudge;
import dev.zephyr.eval.mtbench.MtBenchScores;
import dev.zephyr.eval.mtbench.PairJudgment;
import dev.zephyr.eval.mtbench.Question;
import dev.zephyr.eval.mtbench.SingleJudgment;
import dev.zephyr.eval.report.Reports;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code zephyr mt-bench answer|judge|show}: FastChat's llm_judge workflow on a FastChat-layout directory. */
@Command(name = "mt-bench", mixinStandardHelpOptions = true,
    description = "MT-Bench: generate answers, judge them (single or pairwise), show scores.",
    subcommands = {MtBenchCommand.Answer.class, MtBenchCommand.Judge.class, MtBenchCommand.Show.class})
final class MtBenchCommand {

  /** Answer generation with an OpenAI-compatible model. */
  @Command(name = "answer", mixinStandardHelpOptions = true,
      description = {"Generate answers (both turns) in FastChat model_answer format; resumable.",
          "A question whose call fails for good is not written; it is listed in ANSWER_FILE.failures, the command"
              + " exits 1 and the next run answers it."})
  static final class Answer implements Callable<Integer> {
    @Option(names = "--bench-dir", required = true, description = "FastChat mt_bench directory (question.jsonl ...)")
    Path benchDir;

    @Mixin
    ModelUnderTestOptions modelUnderTest;

    @Option(names = "--model-id", description = "model_id in the file and its file stem (default: --model-name, else"
        + " the --model directory's name)")
    String modelId;

    @Option(names = "--out", description = "answer file (default: BENCH/model_answer/<model-id>.jsonl)")
    Path out;

    @Option(names = "--max-new-tokens", defaultValue = "1024", description = "most new tokens per turn")
    int maxNewTokens;

    // a separate field: picocli would apply --max-new-tokens' default after a setter shared with it
    @Option(names = "--max-new-token", hidden = true, description = "FastChat's name of --max-new-tokens")
    Integer maxNewTokenFastChat;

    @Option(names = "--num-choices", defaultValue = "1", description = "answers per question")
    int numChoices;

    @Option(names = "--batch-size", defaultValue = "8", description = "questions sent to the model at once")
    int batchSize;

    @Option(names = "--first-n", description = "only the first N questions (debugging)")
    Integer firstN;

    @Option(names = "--system-message", description = "system message before the first turn; \"\" gives FastChat's"
        + " empty Zephyr system block (default: none)")
    String systemMessage;

    @Override
    public Integer call() {
      modelUnderTest.validate();
      MtBench bench = MtBench.load(benchDir);
      String id = modelId != null ? modelId : modelUnderTest.displayName();
      Path file = out != null ? out : benchDir.resolve("model_answer").resolve(id + ".jsonl");
      List<Question> qs = bench.questions();
      if (firstN != null) {
        qs = qs.subList(0, Math.min(firstN, qs.size()));
      }
      try (ChatModel m = modelUnderTest.open()) {
        AnswerGenerator.Result r = new AnswerGenerator(m, id, maxNewTokens(), numChoices, batchSize, systemMessage)
            .progress(ConsoleProgress.stderr()).generate(qs, file);
        System.out.println(file + " holds " + r.answers().size() + " answers");
        return JobEnd.report("zephyr mt-bench answer", r.counts(), r.failuresFile(), r.stopReason());
      }
    }

    int maxNewTokens() {
      return maxNewTokenFastChat != null ? maxNewTokenFastChat : maxNewTokens;
    }
  }

  /** Judging, or with --dry-run the judge requests it would send. */
  @Command(name = "judge", mixinStandardHelpOptions = true,
      description = {"Judge answers with an LLM judge (FastChat prompts); --dry-run writes the requests instead.",
          "A judgment whose call fails for good is not written (FastChat writes $ERROR$ and score -1); it is listed"
              + " in JUDGMENT_FILE.failures, the command exits 1 and the next run judges it. Answers to questions"
              + " the bench does not have are refused."})
  static final class Judge implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--bench-dir", required = true, description = "FastChat mt_bench directory (question.jsonl ...)")
    Path benchDir;

    @Option(names = "--answers", required = true, description = "answers in FastChat model_answer format")
    Path answers;

    @Option(names = "--model-id", description = "the answers' model_id in the judgments (default: the answer file's"
        + " stem, as FastChat)")
    String modelId;

    @Option(names = "--judge-model", defaultValue = "gpt-4",
        description = "judge name; reference answers come from reference_answer/<judge-model>.jsonl")
    String judgeModel;

    @Mixin
    JudgeOptions judge;

    @Option(names = "--mode", defaultValue = "single", description = "single or pairwise")
    String mode;

    @Option(names = "--baseline", description = "pairwise: the baseline's answer file")
    Path baseline;

    @Option(names = "--dry-run", description = "write the judge requests as JSONL and call nothing")
    boolean dryRun;

    @Option(names = "--out", description = "judgment file (default BENCH/model_judgment/<judge>_<single|pair>.jsonl)"
        + "; with --dry-run the request file")
    Path out;

    @Option(names = "--batch-size", defaultValue = "8", description = "judge requests sent at once")
    int batchSize;

    @Override
    public Integer call() {
      MtBench bench = MtBench.load(benchDir);
      boolean pairwise = switch (mode.toLowerCase(Locale.ROOT)) {
        case "single" -> false;
        case "pairwise", "pair" -> true;
        default -> throw CliErrors.usageError(spec, "--mode must be single or pairwise, got " + mode);
      };
      if (pairwise && baseline == null) {
        throw CliErrors.usageError(spec, "--mode pairwise needs --baseline FILE");
      }
      if (!Files.isRegularFile(answers)) {
        throw new ZephyrException("answer file not found: " + answers);
      }
      String name = modelId != null ? modelId : MtBench.modelNameOf(answers);
      Map<Integer, ModelAnswer> a = MtBench.readAnswers(answers);
      bench.requireKnownQuestions(a, answers.toString());
      Map<Integer, ModelAnswer> b = pairwise ? MtBench.readAnswers(baseline) : Map.of();
      if (pairwise) {
        bench.requireKnownQuestions(b, baseline.toString());
      }
      if (dryRun) {
        if (out == null) {
          throw CliErrors.usageError(spec, "--dry-run needs --out FILE.jsonl");
        }
        MtBenchJudge requestsOnly = new MtBenchJudge(null, judgeModel, bench, batchSize);
        List<JudgeRequest> reqs =
            pairwise ? requestsOnly.requests().allPair(a, b) : requestsOnly.requests().allSingle(a);
        Jsonl.writeAll(out, reqs);
        System.out.println("wrote " + reqs.size() + " judge requests to " + out);
        return 0;
      }
      Path file = out != null ? out : benchDir.resolve("model_judgment")
          .resolve(judgeModel + (pairwise ? "_pair.jsonl" : "_single.jsonl"));
      try (ChatModel judgeClient = judge.open(judgeModel)) {
        MtBenchJudge mtJudge =
            new MtBenchJudge(judgeClient, judgeModel, bench, batchSize).progress(ConsoleProgress.stderr());
        MtBenchJudge.Result<?> r = pairwise
            ? mtJudge.judgePairwise(name, a, MtBench.modelNameOf(baseline), b, file)
            : mtJudge.judgeSingle(name, a, file);
        System.out.println(file + " holds " + r.judgments().size() + (pairwise ? " pair judgments of " + name
            + " vs " + MtBench.modelNameOf(baseline) : " judgments of " + name));
        return JobEnd.report("zephyr mt-bench judge", r.counts(), r.failuresFile(), r.stopReason());
      }
    }
  }

  /** Scores from a judgment file, as show_result.py, plus a Markdown table and the radar chart. */
  @Command(name = "show", mixinStandardHelpOptions = true, description = {"Show MT-Bench scores from judgments.",
      "Exits 1 when a judgment a score needs is missing or has no rating (score -1, an error verdict), or names a"
          + " question the bench does not have: the table is then printed for inspection, but mt_bench.md and the"
          + " chart are not written. A model's judgments are needed for the questions in its answer file (--answers,"
          + " else BENCH/model_answer/<model>.jsonl when it exists), else for every question of the bench."})
  static final class Show implements Callable<Integer> {
    @Option(names = "--bench-dir", required = true, description = "FastChat mt_bench directory (question.jsonl ...)")
    Path benchDir;

    @Option(names = "--judgments", required = true, description = "model_judgment/<judge>_single.jsonl or _pair")
    Path judgments;

    @Option(names = "--mode", defaultValue = "single", description = "single or pairwise")
    String mode;

    @Option(names = "--baseline", description = "pairwise: baseline model name (all pairs when absent)")
    String baseline;

    @Option(names = "--report-dir", description = "where mt_bench.md and the PNG go (default: next to judgments)")
    Path reportDir;

    @Option(names = "--answers", arity = "1..*", paramLabel = "FILE",
        description = "single mode: answer files (FastChat layout; the model is the file's stem) whose questions the"
            + " judgments must cover")
    List<Path> answerFiles = new ArrayList<>();

    @Override
    public Integer call() {
      MtBench bench = MtBench.load(benchDir);
      if (!Files.isRegularFile(judgments)) {
        throw new ZephyrException("judgment file not found: " + judgments);
      }
      Path dir = reportDir != null ? reportDir : judgments.toAbsolutePath().getParent();
      if (mode.toLowerCase(Locale.ROOT).startsWith("pair")) {
        List<PairJudgment> pairJudgments = Jsonl.readAll(judgments, PairJudgment.class);
        List<MtBenchScores.PairResult> res = MtBenchScores.pairwise(pairJudgments, baseline);
        if (res.isEmpty()) {
          throw new ZephyrException("no pairwise judgments with a verdict in " + judgments);
        }
        StringBuilder sb = new StringBuilder();
        var t = new dev.zephyr.eval.report.MarkdownTable(List.of("model", "win", "loss", "tie", "win_rate",
            "loss_rate", "win_rate_adjusted"));
        for (var r : res) {
          t.row(List.of(r.model(), "" + r.win(), "" + r.loss(), "" + r.tie(), f(r.winRate()), f(r.lossRate()),
              f(r.winRateAdjusted())));
        }
        sb.append(t.render());
        System.out.print(sb);
        if (incomplete(JudgmentCoverage.pairwise(bench, pairJudgments, baseline))) {
          return 1;
        }
        AtomicFiles.writeString(dir.resolve("mt_bench_pairwise.md"), sb.toString());
        return 0;
      }
      List<SingleJudgment> all = Jsonl.readAll(judgments, SingleJudgment.class);
      MtBenchScores.requireRatingsInRange(all, judgments.toString());
      // no score from zero rated judgments: such a model gets no row
      List<MtBenchScores.SingleResult> res = MtBenchScores.single(all, bench::category).stream()
          .filter(r -> r.judged() > 0).toList();
      if (res.isEmpty()) {
        throw new ZephyrException("no judgment with a rating in " + judgments);
      }
      String md = Reports.mtBenchTable(res).render();
      System.out.print(md);
      if (incomplete(JudgmentCoverage.single(bench, all, this::answersOf))) {
        return 1;
      }
      AtomicFiles.writeString(dir.resolve("mt_bench.md"), md);
      if (Reports.categories(res).size() >= 3) {
        Reports.mtBenchRadar(res, dir.resolve("mt_bench_radar.png"), Reports.WIDTH, Reports.HEIGHT);
      }
      return 0;
    }

    /** The answers of {@code model}: from --answers, else BENCH/model_answer/MODEL.jsonl, else null (all questions). */
    private Map<Integer, ModelAnswer> answersOf(String model) {
      for (Path f : answerFiles) {
        if (MtBench.modelNameOf(f).equals(model)) {
          return MtBench.readAnswers(f);
        }
      }
      Path fastChat = benchDir.resolve("model_answer").resolve(model + ".jsonl");
      return answerFiles.isEmpty() && Files.isRegularFile(fastChat) ? MtBench.readAnswers(fastChat) : null;
    }

    /** Says on stderr which models lack judgments; true when any does. */
    private boolean incomplete(List<JudgmentCoverage> coverage) {
      List<JudgmentCoverage> lacking = coverage.stream().filter(c -> !c.complete()).toList();
      for (JudgmentCoverage c : lacking) {
        System.err.println("zephyr mt-bench show: incomplete: " + c.describe());
      }
      if (!lacking.isEmpty()) {
        System.err.println("zephyr mt-bench show: the scores above are not MT-Bench scores and no report file was"
            + " written; judge what is missing (zephyr mt-bench judge) and show again");
      }
      return !lacking.isEmpty();
    }

    private static String f(double v) {
      return String.format(Locale.ROOT, "%.4f", v);
    }
  }
}
