package dev.zephyr.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.zephyr.core.ZephyrException;
import dev.zephyr.core.chat.ChatModel;
import dev.zephyr.core.chat.EndpointSpec;
import dev.zephyr.core.chat.SamplingParams;
import dev.zephyr.core.config.ConfigKeys;
import dev.zephyr.core.eval.EvalReport;
import dev.zephyr.core.eval.Evaluation;
import dev.zephyr.core.io.AtomicFiles;
import dev.zephyr.core.io.Json;
import dev.zephyr.core.io.Jsonl;
import dev.zephyr.core.job.WorkCounts;
import dev.zephyr.core.progress.Progress;
import dev.zephyr.eval.alpacaeval.AlpacaEvalFiles;
import dev.zephyr.eval.alpacaeval.Annotation;
import dev.zephyr.eval.alpacaeval.JudgePromptTemplate;
import dev.zephyr.eval.alpacaeval.LeaderboardRow;
import dev.zephyr.eval.alpacaeval.LengthControlledWinRate;
import dev.zephyr.eval.alpacaeval.ModelOutput;
import dev.zephyr.eval.alpacaeval.OutputGenerator;
import dev.zephyr.eval.alpacaeval.PairwiseAnnotator;
import dev.zephyr.eval.alpacaeval.WinRate;
import dev.zephyr.eval.mtbench.AnswerGenerator;
import dev.zephyr.eval.mtbench.ModelAnswer;
import dev.zephyr.eval.mtbench.MtBench;
import dev.zephyr.eval.mtbench.MtBenchJudge;
import dev.zephyr.eval.mtbench.MtBenchScores;
import dev.zephyr.eval.mtbench.SingleJudgment;
import dev.zephyr.eval.report.Reports;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The evaluations a recipe's {@code evaluate} stage names, built from the same zephyr-eval classes as
 * {@code zephyr mt-bench} and {@code zephyr alpaca-eval}, with the commands' defaults:
 *
 * <pre>
 * evaluate:
 *   mt_bench:    {bench_dir: DIR, judge: {base_url: URL, model: gpt-4, api_key_env: OPENAI_API_KEY},
 *                 max_new_token: 1024, batch_size: 8, first_n: N}
 *   alpaca_eval: {eval_set: FILE.json, annotator_prompt: FILE.txt, annotator: alpaca_eval_gpt4, judge: {...},
 *                 max_new_tokens: 2048, temperature: 0.7, batch_size: 8}
 * </pre>
 *
 * Judge answers are cached in the evaluation's directory, so a rerun pays for no call twice.
 */
final class RecipeEvaluations {
  static final Set<String> NAMES = new TreeSet<>(List.of("mt_bench", "alpaca_eval"));

  private RecipeEvaluations() {}

  /** The keys each evaluation reads; any other is refused with the closest of these. */
  private static final Map<String, Set<String>> KEYS = Map.of(
      "mt_bench", Set.of("bench_dir", "judge", "max_new_token", "batch_size", "first_n"),
      "alpaca_eval", Set.of("eval_set", "annotator_prompt", "annotator", "judge", "max_new_tokens", "temperature",
          "batch_size"));

  static Evaluation of(String name, Map<String, Object> options) {
    if (KEYS.containsKey(name)) {
      ConfigKeys.requireKnown(Json.mapper().valueToTree(options), KEYS.get(name), null, "recipe",
          "evaluate." + name);
    }
    return switch (name) {
      case "mt_bench" -> new MtBenchEvaluation(new Options("mt_bench", options));
      case "alpaca_eval" -> new AlpacaEvalEvaluation(new Options("alpaca_eval", options));
      default -> throw new ZephyrException("recipe stage evaluate: unknown evaluation '" + name
          + "' (supported: " + String.join(", ", NAMES) + ")");
    };
  }

  /** A stage option map with typed getters whose errors name the evaluation and the key. */
  record Options(String evaluation, Map<String, Object> map) {
    Path path(String key) {
      Object v = map.get(key);
      if (!(v instanceof String s) || s.isBlank()) {
        throw new ZephyrException("evaluate." + evaluation + "." + key + ": required (a local path)");
      }
      return Path.of(s);
    }

    String text(String key, String fallback) {
      Object v = map.get(key);
      return v == null ? fallback : v.toString();
    }

    int integer(String key, int fallback) {
      Object v = map.get(key);
      if (v == null) {
        return fallback;
      }
      if (v instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue())) {
        return n.intValue();
      }
      throw new ZephyrException("evaluate." + evaluation + "." + key + ": expected an integer, found " + v);
    }

    double number(String key, double fallback) {
      Object v = map.get(key);
      if (v == null) {
        return fallback;
      }
      if (v instanceof Number n) {
        return n.doubleValue();
      }
      throw new ZephyrException("evaluate." + evaluation + "." + key + ": expected a number, found " + v);
    }

    /**
     * {@code judge:}, an {@link EndpointSpec} ({@code base_url}, {@code model}, {@code api_key_env},
     * {@code timeout_seconds}, {@code max_retries}, {@code requests_per_minute}, ...); the model defaults to the one
     * the evaluation is defined with, the key variable to {@code OPENAI_API_KEY}, the timeout to 120 s.
     */
    Judge judge(String defaultModel) {
      String field = "evaluate." + evaluation + ".judge";
      Object v = map.get("judge");
      if (!(v instanceof Map<?, ?>)) {
        throw new ZephyrException(field + ": required, a mapping {base_url, model, api_key_env, ...} of an"
            + " OpenAI-compatible endpoint");
      }
      ObjectNode node = Json.mapper().valueToTree(v);
      ConfigKeys.requireKnown(node, EndpointSpec.KEYS, null, "recipe", field);
      if (!node.hasNonNull("model")) {
        node.put("model", defaultModel);
      }
      if (!node.has("api_key_env")) {
        node.put("api_key_env", "OPENAI_API_KEY");
      }
      if (!node.has("timeout_seconds")) {
        node.put("timeout_seconds", ChatModels.DEFAULT_TIMEOUT_SECONDS);
      }
      return new Judge(EndpointSpec.fromNode(node, "recipe", field));
    }
  }

  /** An OpenAI-compatible judge. */
  record Judge(EndpointSpec endpoint) {
    String model() {
      return endpoint.model();
    }

    ChatModel open(Path cacheFile) {
      return ChatModels.cached(ChatModels.open(endpoint), cacheFile);
    }
  }

  /**
   * Fails the evaluation unless every item of a step is done, so no metric is computed from partial answers or
   * judgments; a rerun of the stage retries what failed.
   */
  static void requireDone(String step, WorkCounts counts, Path failures, String stopReason) {
    if (stopReason != null || !counts.complete()) {
      throw new ZephyrException(step + " not finished (" + counts.line() + ")"
          + (stopReason != null ? "; stopped: " + stopReason : "")
          + (failures != null && java.nio.file.Files.exists(failures) ? "; failed calls are listed in " + failures : "")
          + "; run the stage again to retry");
    }
  }

  /** A file-name-safe id for the model under test ({@code 03-ddpo/model} becomes {@code 03-ddpo_model}). */
  static String modelId(ChatModel model) {
    return model.name().replaceAll("[^A-Za-z0-9._-]", "_");
  }

  /** MT-Bench single-answer grading, as {@code zephyr mt-bench answer} then {@code judge} and {@code show}. */
  private static final class MtBenchEvaluation implements Evaluation {
    private final Options o;
    private final Path benchDir;
    private final Judge judge;

    MtBenchEvaluation(Options o) {
      this.o = o;
      this.benchDir = o.path("bench_dir");
      this.judge = o.judge("gpt-4");
    }

    @Override
    public String name() {
      return "mt_bench";
    }

    @Override
    public Map<String, Object> config() {
      return o.map();
    }

    @Override
    public EvalReport evaluate(ChatModel model, Path outputDir) {
      return evaluate(model, outputDir, Progress.NONE);
    }

    @Override
    public EvalReport evaluate(ChatModel model, Path outputDir, Progress progress) {
      MtBench bench = MtBench.load(benchDir);
      String id = modelId(model);
      List<dev.zephyr.eval.mtbench.Question> qs = bench.questions();
      int firstN = o.integer("first_n", qs.size());
      qs = qs.subList(0, Math.min(firstN, qs.size()));
      Path answerFile = outputDir.resolve("model_answer").resolve(id + ".jsonl");
      AnswerGenerator.Result answered = new AnswerGenerator(model, id, o.integer("max_new_token", 1024), 1,
          o.integer("batch_size", 8), null).progress(progress).generate(qs, answerFile);
      requireDone("mt_bench answers", answered.counts(), answered.failuresFile(), answered.stopReason());
      Map<Integer, ModelAnswer> answers = answered.answers();
      Path judgments = outputDir.resolve("model_judgment").resolve(judge.model() + "_single.jsonl");
      try (ChatModel client = judge.open(outputDir.resolve("judge_cache.jsonl"))) {
        MtBenchJudge.Result<SingleJudgment> judged = new MtBenchJudge(client, judge.model(), bench,
            o.integer("batch_size", 8)).progress(progress).judgeSingle(id, answers, judgments);
        requireDone("mt_bench judgments", judged.counts(), judged.failuresFile(), judged.stopReason());
      }
      List<MtBenchScores.SingleResult> res =
          MtBenchScores.single(Jsonl.readAll(judgments, SingleJudgment.class), bench::category);
      MtBenchScores.SingleResult r = res.stream().filter(x -> x.model().equals(id)).findFirst()
          .orElseThrow(() -> new ZephyrException("mt_bench: no judgments for " + id + " in " + judgments));
      Path report = outputDir.resolve("mt_bench.md");
      AtomicFiles.writeString(report, Reports.mtBenchTable(res).render());
      Map<String, Double> metrics = new LinkedHashMap<>();
      metrics.put("score", r.score());
      metrics.put("turn1", r.turn1());
      metrics.put("turn2", r.turn2());
      metrics.put("failed", (double) r.failed());
      return new EvalReport("mt_bench", model.name(), metrics,
          Map.of("answers", answerFile, "judgments", judgments, "report", report));
    }
  }

  /** AlpacaEval against the eval set's reference outputs, as {@code zephyr alpaca-eval generate|annotate|score}. */
  private static final class AlpacaEvalEvaluation implements Evaluation {
    private final Options o;
    private final Path evalSet;
    private final Path prompt;
    private final Judge judge;
    private final String annotator;
    private final PairwiseAnnotator.Parser parser;

    AlpacaEvalEvaluation(Options o) {
      this.o = o;
      this.evalSet = o.path("eval_set");
      this.prompt = o.path("annotator_prompt");
      this.annotator = o.text("annotator", "weighted_alpaca_eval_gpt4_turbo");
      this.parser = switch (annotator) {
        case "weighted_alpaca_eval_gpt4_turbo" -> PairwiseAnnotator.Parser.LOGPROB_WEIGHTED;
        case "alpaca_eval_clf_gpt4_turbo" -> PairwiseAnnotator.Parser.LOGPROB_BINARY;
        case "alpaca_eval_gpt4" -> PairwiseAnnotator.Parser.RANKING;
        default -> throw new ZephyrException("evaluate.alpaca_eval.annotator: unknown '" + annotator + "' (expected"
            + " weighted_alpaca_eval_gpt4_turbo, alpaca_eval_clf_gpt4_turbo or alpaca_eval_gpt4)");
      };
      this.judge = o.judge("gpt-4-1106-preview");
    }

    @Override
    public String name() {
      return "alpaca_eval";
    }

    @Override
    public Map<String, Object> config() {
      return o.map();
    }

    @Override
    public EvalReport evaluate(ChatModel model, Path outputDir) {
      return evaluate(model, outputDir, Progress.NONE);
    }

    @Override
    public EvalReport evaluate(ChatModel model, Path outputDir, Progress progress) {
      List<ModelOutput> reference = AlpacaEvalFiles.readModelOutputs(evalSet);
      SamplingParams p = SamplingParams.builder().temperature(o.number("temperature", 0.7))
          .maxTokens(o.integer("max_new_tokens", 2048)).seed(0L).build();
      Path outputsFile = outputDir.resolve("model_outputs.json");
      OutputGenerator.Result generated = OutputGenerator.generate(model, modelId(model), reference, p,
          o.integer("batch_size", 8), outputsFile, progress);
      requireDone("alpaca_eval outputs", generated.counts(), generated.failuresFile(), generated.stopReason());
      Path annotationsFile = outputDir.resolve(annotator).resolve("annotations.json");
      List<Annotation> ann;
      try (ChatModel client = judge.open(outputDir.resolve("judge_cache.jsonl"))) {
        PairwiseAnnotator.Result annotated = PairwiseAnnotator.builder().judge(client)
            .template(JudgePromptTemplate.read(prompt)).annotatorName(annotator).parser(parser)
            .batchSize(o.integer("batch_size", 8)).progress(progress).build()
            .annotate(reference, generated.outputs(), annotationsFile);
        requireDone("alpaca_eval annotations", annotated.counts(), annotated.failuresFile(), annotated.stopReason());
        ann = annotated.annotations();
      }
      List<Double> prefs = ann.stream().map(Annotation::preference).toList();
      LeaderboardRow row = WinRate.compute(modelId(model), prefs, ann.stream().map(Annotation::output2).toList())
          .withLengthControlled(LengthControlledWinRate.compute(ann.stream().map(Annotation::output1).toList(),
              ann.stream().map(Annotation::output2).toList(), prefs, null, null,
              LengthControlledWinRate.Variant.LENGTH_CONTROLLED_MINIMAL));
      Path csv = outputDir.resolve("leaderboard.csv");
      AlpacaEvalFiles.writeLeaderboardCsv(csv, List.of(row));
      Map<String, Double> metrics = new LinkedHashMap<>();
      metrics.put("win_rate", row.winRate());
      metrics.put("standard_error", row.standardError());
      metrics.put("length_controlled_winrate", row.lengthControlledWinrate());
      metrics.put("avg_length", (double) row.avgLength());
      return new EvalReport("alpaca_eval", model.name(), metrics,
          Map.of("outputs", outputsFile, "annotations", annotationsFile, "report", csv));
    }
  }
}
