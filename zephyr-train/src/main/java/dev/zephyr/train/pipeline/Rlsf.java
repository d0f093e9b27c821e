package dev.zephyr.train.pipeline;

import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

/**
 * ALMoST step 3 (RLSF): the current model, normally the SFT model trained on self-play data, trained on-policy
 * against the upstream reward model. Its prompts are the first user turns of the upstream demonstrations (the RMSP
 * dialogues' first queries, as in the paper) unless a prompt file is given with {@link #onPrompts}.
 */
public final class Rlsf implements Stage {
  private final RlsfStage stage;
  private final Path prompts;

  private Rlsf(RlsfStage stage, Path prompts) {
    this.stage = stage;
    this.prompts = prompts;
  }

  public static Rlsf of(RlsfStage stage) {
    return new Rlsf(Steps.require(stage, "stage"), null);
  }

  /** Trains on the prompts of {@code file} (JSONL with {@code prompt} or {@code messages}) instead of upstream's. */
  public Rlsf onPrompts(Path file) {
    return new Rlsf(stage, Steps.require(file, "file"));
  }

  @Override
  public String kind() {
    return stage.kind();
  }

  @Override
  public Map<String, Object> config() {
    return Steps.variantConfig(prompts == null ? "upstream" : "prompts", null, stage.config());
  }

  @Override
  public Set<String> requires() {
    return prompts == null ? Set.of(Artifacts.MODEL, Artifacts.REWARD_MODEL, Artifacts.SFT_DATASET)
        : Set.of(Artifacts.MODEL, Artifacts.REWARD_MODEL);
  }

  @Override
  public Map<String, Path> given() {
    return prompts == null ? Map.of() : Map.of(Artifacts.SFT_DATASET, prompts);
  }

  @Override
  public Set<String> produces() {
    return Set.of(Artifacts.MODEL);
  }

  @Override
  public StageOutput run(StageContext ctx) throws Exception {
    Path model = stage.train(ctx.input(Artifacts.MODEL), ctx.input(Artifacts.REWARD_MODEL),
        ctx.input(Artifacts.SFT_DATASET), ctx);
    return StageOutput.of(Map.of(Artifacts.MODEL, Steps.returned(model, ctx, "RlsfStage.train")));
  }
}
