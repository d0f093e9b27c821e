package dev.zephyr.train.bench;

import dev.zephyr.core.InvalidInputException;
import dev.zephyr.core.model.ModelConfig;
import dev.zephyr.core.model.ModelType;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The size of the random model a benchmark trains: a real model's shape by name (the names of
 * {@code shared/bench/torch_reference.py --shape}), the 19M-parameter default, or any sizes given one by one.
 *
 * @param name {@code default}, {@code smollm2-135m}, {@code qwen2.5-0.5b}, or {@code custom}
 * @param arch llama or qwen2 (qwen2: q/k/v biases, RMSNorm epsilon 1e-6 as in its config)
 * @param tied the LM head is the embedding
 */
public record BenchShape(String name, ModelType arch, int vocab, int hidden, int inter, int layers, int heads,
    int kvHeads, boolean tied) {

  /** The benchmarks' default sizes (those of the torch reference's size flags): 19.3M parameters. */
  public static final BenchShape DEFAULT = new BenchShape("default", ModelType.LLAMA, 32000, 256, 688, 4, 8, 4, false);
  /** HuggingFaceTB/SmolLM2-135M: 134,515,008 parameters. */
  public static final BenchShape SMOLLM2_135M =
      new BenchShape("smollm2-135m", ModelType.LLAMA, 49152, 576, 1536, 30, 9, 3, true);
  /** Qwen/Qwen2.5-0.5B: 494,032,768 parameters. */
  public static final BenchShape QWEN2_5_0_5B =
      new BenchShape("qwen2.5-0.5b", ModelType.QWEN2, 151936, 896, 4864, 24, 14, 2, true);
  /** The shapes {@link #named} knows. */
  public static final List<BenchShape> NAMED = List.of(DEFAULT, SMOLLM2_135M, QWEN2_5_0_5B);

  public BenchShape {
    if (vocab <= 0 || hidden <= 0 || inter <= 0 || layers <= 0 || heads <= 0 || kvHeads <= 0) {
      throw InvalidInputException.field("bench shape", "size", "every size must be positive, got vocab " + vocab
          + ", hidden " + hidden + ", inter " + inter + ", layers " + layers + ", heads " + heads + ", kv heads "
          + kvHeads);
    }
    if (hidden % heads != 0 || heads % kvHeads != 0) {
      throw InvalidInputException.field("bench shape", "heads", "hidden " + hidden + " must split into " + heads
          + " heads, and the heads into " + kvHeads + " key/value groups");
    }
  }

  /** The shape called {@code name}. */
  public static BenchShape named(String name) {
    for (BenchShape s : NAMED) {
      if (s.name.equals(name)) {
        return s;
      }
    }
    throw InvalidInputException.field("zephyr bench", "--shape", "unknown shape '" + name + "'; known: "
        + NAMED.stream().map(BenchShape::name).collect(Collectors.joining(", ")));
  }

  /** A Llama shape of the given sizes, untied: {@link #DEFAULT} when they are its sizes, else {@code custom}. */
  public static BenchShape sized(int vocab, int hidden, int inter, int layers, int heads, int kvHeads) {
    BenchShape s = new BenchShape("custom", ModelType.LLAMA, vocab, hidden, inter, layers, heads, kvHeads, false);
    return s.withName(DEFAULT.name).equals(DEFAULT) ? DEFAULT : s;
  }

  private BenchShape withName(String n) {
    return new BenchShape(n, arch, vocab, hidden, inter, layers, heads, kvHeads, tied);
  }

  /** The config of this shape with room for {@code maxPositions} tokens (RoPE theta 10000, no EOS). */
  public ModelConfig config(int maxPositions) {
    boolean qwen = arch == ModelType.QWEN2;
    return ModelConfig.builder().modelType(arch).vocabSize(vocab).hiddenSize(hidden).intermediateSize(inter)
        .numHiddenLayers(layers).numAttentionHeads(heads).numKeyValueHeads(kvHeads).tieWordEmbeddings(tied)
        .attentionBias(qwen).rmsNormEps(qwen ? 1e-6 : 1e-5).ropeTheta(10000.0).maxPositionEmbeddings(maxPositions)
        .eosTokenIds(List.of()).build();
  }
}
