package dev.zephyr.train.pipeline;

import dev.zephyr.core.eval.EvalReport;
import dev.zephyr.core.eval.Evaluation;
import dev.zephyr.core.eval.ModelUnderTest;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Evaluates the current student with a core {@link Evaluation} (implemented in zephyr-eval): the evaluation gets the
 * model directory as a {@link ModelUnderTest}, which chat evaluations open through the pipeline's
 * {@link ModelLoader} and log-likelihood evaluations read themselves. The evaluation writes into
 * {@code <stage dir>/results}. Metrics become the stage's metrics; the evaluation's files become artifacts named
 * {@code evaluation/<role>}.
 */
public final class Evaluate implements Stage {
  private final Evaluation evaluation;

  private Evaluate(Evaluation evaluation) {
    this.evaluation = evaluation;
  }

  public static Evaluate of(Evaluation evaluation) {
    return new Evaluate(Steps.require(evaluation, "evaluation"));
  }

  @Override
  public String kind() {
    return "eval";
  }

  @Override
  public Map<String, Object> config() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("evaluation", String.valueOf(evaluation.name()));
    m.put("stage", Steps.configOf(evaluation.config()));
    return m;
  }

  @Override
  public Set<String> requires() {
    return Set.of(Artifacts.MODEL);
  }

  @Override
  public Map<String, Path> given() {
    return Map.of();
  }

  @Override
  public Set<String> produces() {
    return Set.of(Artifacts.EVALUATION);
  }

  @Override
  public StageOutput run(StageContext ctx) throws Exception {
    ModelLoader loader = ctx.modelLoader().orElseThrow(() -> new PipelineException(ctx.id(),
        "evaluation needs a model loader: Pipeline.modelLoader(dir -> chat model)"));
    // Results go one level down, so that the artifact never contains the stage's own manifest.
    Path results = ctx.dir().resolve("results");
    java.nio.file.Files.createDirectories(results);
    EvalReport report;
    report = evaluation.evaluateModel(new ModelUnderTest(ctx.input(Artifacts.MODEL), loader::open), results,
        ctx.progress());
    if (report == null) {
      throw new PipelineException(ctx.id(), "evaluation '" + evaluation.name() + "' returned no report");
    }
    Map<String, Path> out = new LinkedHashMap<>();
    out.put(Artifacts.EVALUATION, results);
    report.files().forEach((role, file) -> out.put(Artifacts.EVALUATION + "/" + role, file));
    return new StageOutput(out, report.metrics());
  }
}
