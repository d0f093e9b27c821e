package dev.zephyr.train.bench;

import dev.zephyr.core.InvalidInputException;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * What {@link TrainBench} measures: a mode, a model shape, full fine-tuning or LoRA, the storage of the frozen
 * weights, and the step's size.
 *
 * @param loraR LoRA rank on all seven projections ({@code all-linear}); 0 trains every weight
 * @param loraAlpha LoRA alpha (scaling alpha / r)
 * @param loraDropout LoRA dropout on the adapters' inputs
 * @param frozen how the frozen base (LoRA) or the reference model (DPO) is held; compute is float32 either way
 * @param batch sequences (SFT) or preference pairs (DPO) per step
 * @param seq tokens per sequence
 * @param steps timed steps, after one untimed warm-up step
 * @param seed seed of the weights, token ids and adapters
 * @param chunk tokens per vocabulary projection chunk of the fused LM head
 * @param pairsPerForward DPO: pairs per forward/backward (0: the task's default)
 * @param cachedRef DPO: reference log-probs computed once before training instead of a reference forward per step
 * @param gradientCheckpointing recompute each decoder layer in backward instead of keeping its activations
 */
public record TrainBenchOptions(Mode mode, BenchShape shape, int loraR, double loraAlpha, double loraDropout,
    Frozen frozen, int batch, int seq, int steps, long seed, int chunk, int pairsPerForward, boolean cachedRef,
    boolean gradientCheckpointing) {
  private static final String SOURCE = "zephyr bench train";

  /** Supervised fine-tuning or DPO. */
  public enum Mode {
    SFT, DPO;

    /** Lower-case name on the command line and in the JSON. */
    public String cliName() {
      return name().toLowerCase(Locale.ROOT);
    }

    public static Mode of(String name) {
      return parse(values(), name, "--mode");
    }
  }

  /** Storage of the frozen weights: float32, or BF16 bits kept at 2 bytes and widened one layer at a time. */
  public enum Frozen {
    F32, BF16;

    public String cliName() {
      return name().toLowerCase(Locale.ROOT);
    }

    public static Frozen of(String name) {
      return parse(values(), name, "--dtype");
    }
  }

  public TrainBenchOptions {
    require(mode != null && shape != null && frozen != null, "--mode", "mode, shape and dtype are required");
    require(loraR >= 0, "--lora-r", "must be 0 (full fine-tuning) or a positive rank, got " + loraR);
    require(batch > 0, "--batch", "must be positive, got " + batch);
    require(seq >= 2, "--seq", "must be at least 2 tokens, got " + seq);
    require(steps > 0, "--steps", "must be positive, got " + steps);
    require(chunk > 0, "--chunk", "must be positive, got " + chunk);
    require(pairsPerForward >= 0, "--pairs-per-forward", "must be 0 (default) or positive, got " + pairsPerForward);
    require(!cachedRef || mode == Mode.DPO, "--cached-ref", "applies to --mode dpo only");
  }

  /** The defaults of {@code zephyr bench train}: SFT on the default shape, full fine-tuning, batch 8 x 256, 5 steps. */
  public static TrainBenchOptions defaults() {
    return builder().build();
  }

  /** A builder starting from the defaults. */
  public static Builder builder() {
    return new Builder();
  }

  /** Whether a model that does not train is held: a LoRA base, or a DPO reference model. */
  public boolean hasFrozenWeights() {
    return loraR > 0 || (mode == Mode.DPO && !cachedRef);
  }

  /** Where the DPO reference log-probs come from: none (SFT), cached, the base with adapters off, or a model. */
  public String reference() {
    if (mode == Mode.SFT) {
      return "none";
    }
    return cachedRef ? "cached" : loraR > 0 ? "base" : "model";
  }

  /** Rows each step trains on: the batch, or chosen and rejected of every pair. */
  public long tokensPerStep() {
    return (mode == Mode.DPO ? 2L : 1L) * batch * seq;
  }

  private static void require(boolean ok, String flag, String message) {
    if (!ok) {
      throw InvalidInputException.field(SOURCE, flag, message);
    }
  }

  private static <E extends Enum<E>> E parse(E[] values, String name, String flag) {
    for (E v : values) {
      if (v.name().toLowerCase(Locale.ROOT).equals(name)) {
        return v;
      }
    }
    throw InvalidInputException.field(SOURCE, flag, "unknown value '" + name + "'; expected one of "
        + Arrays.stream(values).map(v -> v.name().toLowerCase(Locale.ROOT)).collect(Collectors.joining(", ")));
  }

  /** Options set one by one; {@link #build()} checks them. */
  public static final class Builder {
    private Mode mode = Mode.SFT;
    private BenchShape shape = BenchShape.DEFAULT;
    private int loraR;
    private double loraAlpha = 16;
    private double loraDropout;
    private Frozen frozen = Frozen.F32;
    private int batch = 8;
    private int seq = 256;
    private int steps = 5;
    private long seed;
    private int chunk = 512;
    private int pairsPerForward;
    private boolean cachedRef;
    private boolean gradientCheckpointing;

    private Builder() {}

    public Builder mode(Mode v) { mode = v; return this; }
    public Builder shape(BenchShape v) { shape = v; return this; }
    public Builder loraR(int v) { loraR = v; return this; }
    public Builder loraAlpha(double v) { loraAlpha = v; return this; }
    public Builder loraDropout(double v) { loraDropout = v; return this; }
    public Builder frozen(Frozen v) { frozen = v; return this; }
    public Builder batch(int v) { batch = v; return this; }
    public Builder seq(int v) { seq = v; return this; }
    public Builder steps(int v) { steps = v; return this; }
    public Builder seed(long v) { seed = v; return this; }
    public Builder chunk(int v) { chunk = v; return this; }
    public Builder pairsPerForward(int v) { pairsPerForward = v; return this; }
    public Builder cachedRef(boolean v) { cachedRef = v; return this; }
    public Builder gradientCheckpointing(boolean v) { gradientCheckpointing = v; return this; }

    public TrainBenchOptions build() {
      return new TrainBenchOptions(mode, shape, loraR, loraAlpha, loraDropout, frozen, batch, seq, steps, seed, chunk,
          pairsPerForward, cachedRef, gradientCheckpointing);
    }
  }
}
