package dev.zephyr.train.pipeline;

import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

/** ALMoST step 2: best-of-N demonstrations from the current student, ranked by the upstream reward model. */
public final class BestOfN implements Stage {
  private final BestOfNStage stage;
  private final String kind;

  private BestOfN(BestOfNStage stage, String kind) {
    this.stage = stage;
    this.kind = kind;
  }

  public static BestOfN of(BestOfNStage stage) {
    return new BestOfN(Steps.require(stage, "stage"), "bon");
  }

  /** The same step under another directory kind ({@code "rmsp"} in the ALMoST order). */
  public BestOfN named(String newKind) {
    return new BestOfN(stage, Steps.require(newKind, "newKind"));
  }

  @Override
  public String kind() {
    return kind;
  }

  @Override
  public Map<String, Object> config() {
    return Steps.variantConfig("generate", null, stage.config());
  }

  @Override
  public Set<String> requires() {
    return Set.of(Artifacts.MODEL, Artifacts.REWARD_MODEL);
  }

  @Override
  public Map<String, Path> given() {
    return Map.of();
  }

  @Override
  public Set<String> produces() {
    return Set.of(Artifacts.SFT_DATASET);
  }

  @Override
  public StageOutput run(StageContext ctx) throws Exception {
    Path demos = stage.demonstrations(ctx.input(Artifacts.MODEL), ctx.input(Artifacts.REWARD_MODEL), ctx);
    return StageOutput.of(Map.of(Artifacts.SFT_DATASET, Steps.returned(demos, ctx, "BestOfNStage.demonstrations")));
  }
}
