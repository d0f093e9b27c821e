package dev.zephyr.train.pipeline;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * ALMoST step 1: a reward model from synthetic comparisons, initialised from the current student. It does not change
 * the student; it hands on {@link Artifacts#REWARD_MODEL} for best-of-N.
 */
public final class RewardModeling implements Stage {
  private final RewardModelStage stage;
  private final Path comparisons;
  private final Path trained;

  private RewardModeling(RewardModelStage stage, Path comparisons, Path trained) {
    this.stage = stage;
    this.comparisons = comparisons;
    this.trained = trained;
  }

  /** Generates comparisons, then trains. */
  public static RewardModeling of(RewardModelStage stage) {
    return new RewardModeling(Steps.require(stage, "stage"), null, null);
  }

  /** Uses a reward model already trained: nothing runs. */
  public static RewardModeling trained(Path rewardModelDir) {
    return new RewardModeling(null, null, Steps.require(rewardModelDir, "rewardModelDir"));
  }

  /** Trains on comparisons on disk. */
  public RewardModeling fromComparisons(Path file) {
    if (stage == null) {
      throw new IllegalStateException("a trained reward model has no stage to feed comparisons to");
    }
    return new RewardModeling(stage, Steps.require(file, "file"), null);
  }

  @Override
  public String kind() {
    return "rm";
  }

  @Override
  public Map<String, Object> config() {
    String source = trained != null ? "trained" : comparisons != null ? "comparisons" : "generate";
    return Steps.variantConfig(source, null, stage == null ? null : stage.config());
  }

  @Override
  public Set<String> requires() {
    return trained != null ? Set.of() : Set.of(Artifacts.MODEL);
  }

  @Override
  public Map<String, Path> given() {
    if (trained != null) {
      return Map.of(Artifacts.REWARD_MODEL, trained);
    }
    return comparisons != null ? Map.of(Artifacts.COMPARISONS, comparisons) : Map.of();
  }

  @Override
  public Set<String> produces() {
    return trained != null ? Set.of(Artifacts.REWARD_MODEL) : Set.of(Artifacts.COMPARISONS, Artifacts.REWARD_MODEL);
  }

  @Override
  public StageOutput run(StageContext ctx) throws Exception {
    if (trained != null) {
      return StageOutput.of(Map.of(Artifacts.REWARD_MODEL, ctx.input(Artifacts.REWARD_MODEL)));
    }
    Path pairs = comparisons != null
        ? ctx.input(Artifacts.COMPARISONS)
        : Steps.returned(stage.comparisons(ctx), ctx, "RewardModelStage.comparisons");
    Path rm = Steps.returned(stage.train(ctx.input(Artifacts.MODEL), pairs, ctx), ctx, "RewardModelStage.train");
    Map<String, Path> out = new LinkedHashMap<>();
    out.put(Artifacts.COMPARISONS, pairs);
    out.put(Artifacts.REWARD_MODEL, rm);
    return StageOutput.of(out);
  }
}
