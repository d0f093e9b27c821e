package dev.zephyr.train.pipeline;

import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

/**
 * The dDPO step: DPO of the current student (dSFT model, or the base model when dSFT is skipped as in the paper's
 * ablation) on the latest preference pairs, or on a preference file ({@link #onPreferences}).
 */
public final class Ddpo implements Stage {
  private final DpoStage stage;
  private final Path preferences;
  private final Path trained;

  private Ddpo(DpoStage stage, Path preferences, Path trained) {
    this.stage = stage;
    this.preferences = preferences;
    this.trained = trained;
  }

  /** DPO on the preferences an earlier stage produced. */
  public static Ddpo of(DpoStage stage) {
    return new Ddpo(Steps.require(stage, "stage"), null, null);
  }

  /** Uses an aligned model already trained: nothing runs. */
  public static Ddpo trainedModel(Path modelDir) {
    return new Ddpo(null, null, Steps.require(modelDir, "modelDir"));
  }

  /** DPO on a preference file on disk (ultrafeedback_binarized layout). */
  public Ddpo onPreferences(Path file) {
    if (stage == null) {
      throw new IllegalStateException("a trained model has no DPO stage to feed preferences to");
    }
    return new Ddpo(stage, Steps.require(file, "file"), null);
  }

  /** The DPO stage that trains, or null for a {@link #trainedModel} (nothing trains). */
  public DpoStage dpoStage() {
    return stage;
  }

  @Override
  public String kind() {
    return "ddpo";
  }

  @Override
  public Map<String, Object> config() {
    String source = trained != null ? "trained" : preferences != null ? "preferences" : "upstream";
    return Steps.variantConfig(source, null, stage == null ? null : stage.config());
  }

  @Override
  public Set<String> requires() {
    if (trained != null) {
      return Set.of();
    }
    return preferences != null ? Set.of(Artifacts.MODEL) : Set.of(Artifacts.MODEL, Artifacts.PREFERENCES);
  }

  @Override
  public Map<String, Path> given() {
    if (trained != null) {
      return Map.of(Artifacts.MODEL, trained);
    }
    return preferences != null ? Map.of(Artifacts.PREFERENCES, preferences) : Map.of();
  }

  @Override
  public Set<String> produces() {
    return Set.of(Artifacts.MODEL);
  }

  @Override
  public StageOutput run(StageContext ctx) throws Exception {
    if (trained != null) {
      return StageOutput.of(Map.of(Artifacts.MODEL, ctx.input(Artifacts.MODEL)));
    }
    Path model = stage.train(ctx.input(Artifacts.MODEL), ctx.input(Artifacts.PREFERENCES), ctx);
    return StageOutput.of(Map.of(Artifacts.MODEL, Steps.returned(model, ctx, "DpoStage.train")));
  }
}
