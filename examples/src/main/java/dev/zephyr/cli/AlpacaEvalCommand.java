package dev.zephyr.cli;

import dev.zephyr.core.ZephyrException;
import dev.zephyr.core.chat.ChatModel;
import dev.zephyr.core.chat.SamplingParams;
import dev.zephyr.core.io.AtomicFiles;
import dev.zephyr.core.io.Json;
import dev.zephyr.core.progress.ConsoleProgress;
import dev.zephyr.eval.alpacaeval.AlpacaEvalFiles;
import dev.zephyr.eval.alpacaeval.Annotation;
import dev.zephyr.eval.alpacaeval.JudgePromptTemplate;
import dev.zephyr.eval.alpacaeval.LeaderboardRow;
import dev.zephyr.eval.alpacaeval.LengthControlledWinRate;
import dev.zephyr.eval.alpacaeval.ModelOutput;
import dev.zephyr.eval.alpacaeval.OutputGenerator;
import dev.zephyr.eval.alpacaeval.PairwiseAnnotator;
import dev.zephyr.eval.alpacaeval.WinRate;
import dev.zephyr.eval.report.Reports;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code zephyr alpaca-eval generate|annotate|score}: alpaca_eval's workflow and files. */
@Command(name = "alpaca-eval", mixinStandardHelpOptions = true,
    description = "AlpacaEval: generate model outputs, annotate them with a judge, score the annotations.",
    subcommands = {AlpacaEvalCommand.Generate.class, AlpacaEvalCommand.Annotate.class, AlpacaEvalCommand.Score.class})
final class AlpacaEvalCommand {

  @Command(name = "generate", mixinStandardHelpOptions = true,
      description = {"Write model_outputs.json for the eval set; resumable.",
          "An instruction whose call fails for good is left out; it is listed in OUT.failures, the command exits 1"
              + " and the next run asks again."})
  static final class Generate implements Callable<Integer> {
    @Option(names = "--eval-set", required = true, description = "JSON list with the instructions (e.g. the reference"
        + " outputs file)")
    Path evalSet;

    @Mixin
    ModelUnderTestOptions modelUnderTest;

    @Option(names = "--model-id", description = "generator name in the file (default: --model-name, else the"
        + " --model directory's name)")
    String modelId;

    @Option(names = "--out", required = true, description = "model_outputs.json")
    Path out;

    @Option(names = "--max-new-tokens", defaultValue = "2048", description = "most tokens per output")
    int maxNewTokens;

    @Option(names = "--temperature", defaultValue = "0.7", description = "sampling temperature (0 = greedy)")
    double temperature;

    @Option(names = "--batch-size", defaultValue = "8", description = "instructions sent to the model at once")
    int batchSize;

    @Override
    public Integer call() {
      modelUnderTest.validate();
      List<ModelOutput> eval = AlpacaEvalFiles.readModelOutputs(evalSet);
      SamplingParams p = SamplingParams.builder().temperature(temperature).maxTokens(maxNewTokens).seed(0L).build();
      try (ChatModel m = modelUnderTest.open()) {
        OutputGenerator.Result r = OutputGenerator.generate(m,
            modelId != null ? modelId : modelUnderTest.displayName(), eval, p, batchSize, out,
            ConsoleProgress.stderr());
        System.out.println(out + " holds " + r.outputs().size() + " outputs");
        return JobEnd.report("zephyr alpaca-eval generate", r.counts(), r.failuresFile(), r.stopReason());
      }
    }
  }

  @Command(name = "annotate", mixinStandardHelpOptions = true,
      description = {"Judge model outputs against the reference (position switching and parsing as alpaca_eval).",
          "A row whose judge call fails for good is left out of annotations.json; it is listed in"
              + " annotations.json.failures, the command exits 1 and the next run judges it."})
  static final class Annotate implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--model-outputs", required = true, description = "model_outputs.json of the model to judge")
    Path modelOutputs;

    @Option(names = "--reference", required = true, description = "reference outputs (eval order)")
    Path reference;

    @Option(names = "--prompt-template", required = true, description = "the annotator's prompt file")
    Path promptTemplate;

    @Option(names = "--annotator", defaultValue = "weighted_alpaca_eval_gpt4_turbo",
        description = "weighted_alpaca_eval_gpt4_turbo, alpaca_eval_clf_gpt4_turbo or alpaca_eval_gpt4")
    String annotator;

    @Option(names = "--judge-model", defaultValue = "gpt-4-1106-preview",
        description = "the judge's model name at --judge-url")
    String judgeModel;

    @Mixin
    JudgeOptions judge;

    @Option(names = "--out", description = "annotations.json (default: <model outputs dir>/<annotator>/annotations.json)")
    Path out;

    @Option(names = "--batch-size", defaultValue = "8", description = "judge requests sent at once")
    int batchSize;

    @Override
    public Integer call() {
      PairwiseAnnotator.Parser parser = switch (annotator) {
        case "weighted_alpaca_eval_gpt4_turbo" -> PairwiseAnnotator.Parser.LOGPROB_WEIGHTED;
        case "alpaca_eval_clf_gpt4_turbo" -> PairwiseAnnotator.Parser.LOGPROB_BINARY;
        case "alpaca_eval_gpt4" -> PairwiseAnnotator.Parser.RANKING;
        default -> throw CliErrors.usageError(spec, "unknown --annotator " + annotator);
      };
      Path file = out != null ? out
          : modelOutputs.toAbsolutePath().getParent().resolve(annotator).resolve("annotations.json");
      try (ChatModel judgeClient = judge.open(judgeModel)) {
        PairwiseAnnotator a = PairwiseAnnotator.builder().judge(judgeClient).template(JudgePromptTemplate.read(promptTemplate))
            .annotatorName(annotator).parser(parser).batchSize(batchSize).progress(ConsoleProgress.stderr()).build();
        PairwiseAnnotator.Result r = a.annotate(AlpacaEvalFiles.readModelOutputs(reference),
            AlpacaEvalFiles.readModelOutputs(modelOutputs), file);
        long unparsed = r.annotations().stream().filter(x -> x.preference() == null).count();
        System.out.println(file + " holds " + r.annotations().size() + " annotations"
            + (unparsed > 0 ? ", " + unparsed + " without a usable preference (the judge's answer did not parse)"
            : ""));
        return JobEnd.report("zephyr alpaca-eval annotate", r.counts(), r.failuresFile(), r.stopReason());
      }
    }
  }

  @Command(name = "score", mixinStandardHelpOptions = true,
      description = "Print the leaderboard row (alpaca_eval column names) as one JSON object.")
  static final class Score implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--annotations", required = true, description = "annotations.json, rows in eval-set order")
    Path annotations;

    @Option(names = "--instruction-difficulty", description = "CSV index,instruction_difficulty (LC GLM covariate)")
    Path difficulty;

    @Option(names = "--regularization", description = "alpaca_eval df_gamed.csv; with it the published"
        + " length_controlled_v1 is fitted, without it length_controlled_noreg")
    Path regularization;

    @Option(names = "--reference", description = "eval set / reference outputs: put the annotations in its order"
        + " (the LC GLM matches instruction difficulty by position) and check that every instruction is there")
    Path reference;

    @Option(names = "--model-id", description = "model name in the leaderboard row (default: generator_2 of the"
        + " annotations)")
    String modelId;

    @Option(names = "--report-dir", description = "also write leaderboard.csv, alpaca_eval.md and win_rate.png there")
    Path reportDir;

    @Override
    public Integer call() throws Exception {
      List<Annotation> ann = AlpacaEvalFiles.readAnnotations(annotations);
      // before any reordering, so that an error's index is the record's place in the file
      WinRate.requireScorable(ann.stream().map(Annotation::preference).toList(), annotations.toString());
      if (reference != null) {
        ann = inEvalOrder(ann, AlpacaEvalFiles.readModelOutputs(reference));
      }
      String model = modelId != null ? modelId : ann.get(0).generator2();
      List<Double> prefs = ann.stream().map(Annotation::preference).toList();
      LeaderboardRow row = WinRate.compute(model, prefs, ann.stream().map(Annotation::output2).toList());
      LengthControlledWinRate.Variant variant = regularization != null
          ? LengthControlledWinRate.Variant.LENGTH_CONTROLLED_V1
          : difficulty != null ? LengthControlledWinRate.Variant.LENGTH_CONTROLLED_NOREG
          : LengthControlledWinRate.Variant.LENGTH_CONTROLLED_MINIMAL;
      if (difficulty == null && regularization != null) {
        throw CliErrors.usageError(spec, "--regularization needs --instruction-difficulty");
      }
      double[] d = difficulty != null ? AlpacaEvalFiles.readInstructionDifficulty(difficulty) : null;
      if (d != null && d.length != ann.size()) {
        throw new ZephyrException(difficulty + " has " + d.length + " instructions but there are " + ann.size()
            + " annotations; the LC GLM needs one annotation per eval-set instruction, in eval order");
      }
      boolean isBaseline = ann.get(0).generator1() != null && ann.get(0).generator1().equals(ann.get(0).generator2());
      if (!isBaseline) {
        row = row.withLengthControlled(LengthControlledWinRate.compute(
            ann.stream().map(Annotation::output1).toList(), ann.stream().map(Annotation::output2).toList(), prefs, d,
            regularization != null ? AlpacaEvalFiles.readRegularization(regularization) : null, variant));
      } else {
        // alpaca_eval: the baseline against itself is 50 by construction
        row = new LeaderboardRow(row.name(), row.winRate(), row.standardError(), row.nWins(), row.nWinsBase(),
            row.nDraws(), row.nTotal(), row.discreteWinRate(), row.avgLength(), 50.0, 0.0, variant.glmName());
      }
      System.out.println(Json.mapper().writeValueAsString(row));
      if (reportDir != null) {
        Files.createDirectories(reportDir);
        AlpacaEvalFiles.writeLeaderboardCsv(reportDir.resolve("leaderboard.csv"), List.of(row));
        AtomicFiles.writeString(reportDir.resolve("alpaca_eval.md"), Reports.alpacaEvalTable(List.of(row)).render());
        Reports.winRateBars(List.of(row), reportDir.resolve("win_rate.png"), Reports.WIDTH, Reports.HEIGHT);
      }
      return 0;
    }

    private static List<Annotation> inEvalOrder(List<Annotation> ann, List<ModelOutput> reference) {
      java.util.Map<String, Annotation> byInstruction = new java.util.HashMap<>();
      ann.forEach(a -> byInstruction.put(a.instruction(), a));
      java.util.List<Annotation> out = new java.util.ArrayList<>();
      for (ModelOutput r : reference) {
        Annotation a = byInstruction.get(r.instruction());
        if (a == null) {
          throw new ZephyrException("no annotation for eval instruction: " + abbreviate(r.instruction()));
        }
        out.add(a);
      }
      return out;
    }

    private static String abbreviate(String s) {
      return s.length() > 80 ? s.substring(0, 77) + "..." : s;
    }
  }
}
