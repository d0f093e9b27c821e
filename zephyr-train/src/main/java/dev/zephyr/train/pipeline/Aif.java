package dev.zephyr.train.pipeline;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The AI-feedback step: completions, ratings, preference pairs. Starts from nothing ({@link #of}), completions
 * already sampled ({@link #fromCompletions}), ratings already collected ({@link #fromRatings}), or a preference file
 * ({@link #preferences}, nothing runs).
 */
public final class Aif implements Stage {
  private enum Source { GENERATE, COMPLETIONS, RATINGS, PREFERENCES }

  private final FeedbackStage stage;
  private final Source source;
  private final Path path;
  private final boolean samplingStudent;

  private Aif(FeedbackStage stage, Source source, Path path, boolean samplingStudent) {
    this.stage = stage;
    this.source = source;
    this.path = path;
    this.samplingStudent = samplingStudent;
  }

  /** Samples, rates and binarises. The pool does not include the student unless {@link #samplingStudent()}. */
  public static Aif of(FeedbackStage stage) {
    return new Aif(Steps.require(stage, "stage"), Source.GENERATE, null, false);
  }

  /** Uses preference pairs on disk (e.g. ultrafeedback_binarized): nothing runs. */
  public static Aif preferences(Path preferences) {
    return new Aif(null, Source.PREFERENCES, Steps.require(preferences, "preferences"), false);
  }

  /** Rates completions already sampled. */
  public Aif fromCompletions(Path completions) {
    return new Aif(requireStage(), Source.COMPLETIONS, Steps.require(completions, "completions"), samplingStudent);
  }

  /** Binarises ratings already collected. */
  public Aif fromRatings(Path ratings) {
    return new Aif(requireStage(), Source.RATINGS, Steps.require(ratings, "ratings"), samplingStudent);
  }

  /**
   * The pool samples the current student too (the quickstart's dSFT model sampled hot): the student becomes an input,
   * so a new student means new completions.
   */
  public Aif samplingStudent() {
    return new Aif(requireStage(), source, path, true);
  }

  private FeedbackStage requireStage() {
    if (stage == null) {
      throw new IllegalStateException("a preference file has no feedback stage");
    }
    return stage;
  }

  @Override
  public String kind() {
    return "aif";
  }

  @Override
  public Map<String, Object> config() {
    Map<String, Object> m = Steps.variantConfig(source.name().toLowerCase(), path, stage == null ? null : stage.config());
    m.put("sampling_student", samplingStudent);
    return m;
  }

  @Override
  public Set<String> requires() {
    return samplingStudent && source == Source.GENERATE ? Set.of(Artifacts.MODEL) : Set.of();
  }

  @Override
  public Map<String, Path> given() {
    return switch (source) {
      case GENERATE -> Map.of();
      case COMPLETIONS -> Map.of(Artifacts.COMPLETIONS, path);
      case RATINGS -> Map.of(Artifacts.RATINGS, path);
      case PREFERENCES -> Map.of(Artifacts.PREFERENCES, path);
    };
  }

  @Override
  public Set<String> produces() {
    return switch (source) {
      case GENERATE, COMPLETIONS -> Set.of(Artifacts.COMPLETIONS, Artifacts.RATINGS, Artifacts.PREFERENCES);
      case RATINGS -> Set.of(Artifacts.RATINGS, Artifacts.PREFERENCES);
      case PREFERENCES -> Set.of(Artifacts.PREFERENCES);
    };
  }

  @Override
  public StageOutput run(StageContext ctx) throws Exception {
    Map<String, Path> out = new LinkedHashMap<>();
    if (source == Source.PREFERENCES) {
      out.put(Artifacts.PREFERENCES, ctx.input(Artifacts.PREFERENCES));
      return StageOutput.of(out);
    }
    Path ratings;
    if (source == Source.RATINGS) {
      ratings = ctx.input(Artifacts.RATINGS);
    } else {
      Path completions = source == Source.COMPLETIONS
          ? ctx.input(Artifacts.COMPLETIONS)
          : Steps.returned(stage.completions(ctx), ctx, "FeedbackStage.completions");
      out.put(Artifacts.COMPLETIONS, completions);
      ratings = Steps.returned(stage.ratings(completions, ctx), ctx, "FeedbackStage.ratings");
    }
    out.put(Artifacts.RATINGS, ratings);
    out.put(Artifacts.PREFERENCES, Steps.returned(stage.binarize(ratings, ctx), ctx, "FeedbackStage.binarize"));
    return StageOutput.of(out);
  }
}
