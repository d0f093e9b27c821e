package dev.zephyr.train.pipeline;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The dSFT step: demonstrations, then SFT of the current student. Starts from generated demonstrations
 * ({@link #of}), a dataset on disk ({@link #fromDataset}), the demonstrations an earlier stage produced
 * ({@link #fromUpstream}, the ALMoST order), or a dSFT model already trained ({@link #trainedModel}).
 */
public final class Dsft implements Stage {
  private enum Source { GENERATE, DATASET, UPSTREAM, TRAINED }

  private final String kind;
  private final SftStage stage;
  private final Source source;
  private final Path path;

  private Dsft(String kind, SftStage stage, Source source, Path path) {
    this.kind = kind;
    this.stage = stage;
    this.source = source;
    this.path = path;
  }

  /** Generates demonstrations with the stage's teacher, then trains. */
  public static Dsft of(SftStage stage) {
    return new Dsft("dsft", Steps.require(stage, "stage"), Source.GENERATE, null);
  }

  /** Uses a dSFT model that is already trained: nothing runs, later stages start from {@code modelDir}. */
  public static Dsft trainedModel(Path modelDir) {
    return new Dsft("dsft", null, Source.TRAINED, Steps.require(modelDir, "modelDir"));
  }

  /** Trains on an SFT dataset on disk instead of generating one. */
  public Dsft fromDataset(Path dataset) {
    return new Dsft(kind, requireStage(), Source.DATASET, Steps.require(dataset, "dataset"));
  }

  /** Trains on the {@link Artifacts#SFT_DATASET} an earlier stage produced (best-of-N in the ALMoST order). */
  public Dsft fromUpstream() {
    return new Dsft(kind, requireStage(), Source.UPSTREAM, null);
  }

  /** The same step under another directory kind ({@code "sft"} in the ALMoST order). */
  public Dsft named(String newKind) {
    return new Dsft(newKind, stage, source, path);
  }

  private SftStage requireStage() {
    if (stage == null) {
      throw new IllegalStateException("a trained dSFT model has no SFT stage to feed a dataset to");
    }
    return stage;
  }

  /** The SFT stage that trains, or null for a {@link #trainedModel} (nothing trains). */
  public SftStage sftStage() {
    return stage;
  }

  @Override
  public String kind() {
    return kind;
  }

  @Override
  public Map<String, Object> config() {
    return Steps.variantConfig(source.name().toLowerCase(), path, stage == null ? null : stage.config());
  }

  @Override
  public Set<String> requires() {
    return switch (source) {
      case GENERATE, DATASET -> Set.of(Artifacts.MODEL);
      case UPSTREAM -> Set.of(Artifacts.MODEL, Artifacts.SFT_DATASET);
      case TRAINED -> Set.of();
    };
  }

  @Override
  public Map<String, Path> given() {
    return switch (source) {
      case DATASET -> Map.of(Artifacts.SFT_DATASET, path);
      case TRAINED -> Map.of(Artifacts.MODEL, path);
      default -> Map.of();
    };
  }

  @Override
  public Set<String> produces() {
    return source == Source.UPSTREAM || source == Source.TRAINED
        ? Set.of(Artifacts.MODEL)
        : Set.of(Artifacts.MODEL, Artifacts.SFT_DATASET);
  }

  @Override
  public StageOutput run(StageContext ctx) throws Exception {
    if (source == Source.TRAINED) {
      return StageOutput.of(Map.of(Artifacts.MODEL, ctx.input(Artifacts.MODEL)));
    }
    Path dataset = source == Source.GENERATE
        ? Steps.returned(stage.demonstrations(ctx), ctx, "SftStage.demonstrations")
        : ctx.input(Artifacts.SFT_DATASET);
    Path model = Steps.returned(stage.train(ctx.input(Artifacts.MODEL), dataset, ctx), ctx, "SftStage.train");
    Map<String, Path> out = new LinkedHashMap<>();
    out.put(Artifacts.MODEL, model);
    if (source != Source.UPSTREAM) {
      out.put(Artifacts.SFT_DATASET, dataset);
    }
    return StageOutput.of(out);
  }
}
