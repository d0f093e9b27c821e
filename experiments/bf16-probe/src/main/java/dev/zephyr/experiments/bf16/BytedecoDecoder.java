package dev.zephyr.experiments.bf16;

import java.util.ArrayList;
import java.util.List;
import org.bytedeco.pytorch.DoubleOptional;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/**
 * The Llama decoder of {@code dev.zephyr.core.model.LlamaModel} written directly against bytedeco's libtorch, to
 * measure the "switch engine" alternative: SmolLM2-135M's widths (hidden 576, 9 heads / 3 KV heads of 64,
 * intermediate 1536, vocabulary 49152 (or smaller), tied head, rope_theta 100000), fewer layers. Fused libtorch ops
 * where they exist
 * ({@code rms_norm}, {@code scaled_dot_product_attention} with GQA, {@code silu}, {@code cross_entropy}); RoPE as HF
 * writes it (rotate-half, cos/sin cast to the activations' dtype).
 */
final class BytedecoDecoder {
  static final int HIDDEN = 576;
  static final int HEADS = 9;
  static final int KV_HEADS = 3;
  static final int HEAD_DIM = 64;
  static final int INTERMEDIATE = 1536;
  static final int SMOLLM2_VOCAB = 49152;

  final int vocab;
  final Tensor embed;
  final Tensor finalNorm;
  final Tensor[][] layers; // input_layernorm, q, k, v, o, post_attention_layernorm, gate, up, down
  final List<Tensor> parameters = new ArrayList<>();

  /**
   * Random weights N(0, 0.02²), norms 1, from {@code seed}: the same seed gives the same model. {@code vocab} is
   * {@link #SMOLLM2_VOCAB} for the real shape; a smaller one shortens long loss comparisons on a busy machine.
   */
  BytedecoDecoder(int numLayers, int vocab, long seed) {
    torch.manual_seed(seed);
    this.vocab = vocab;
    embed = param(vocab, HIDDEN);
    layers = new Tensor[numLayers][];
    for (int i = 0; i < numLayers; i++) {
      layers[i] = new Tensor[] {norm(), param(HEADS * HEAD_DIM, HIDDEN), param(KV_HEADS * HEAD_DIM, HIDDEN),
          param(KV_HEADS * HEAD_DIM, HIDDEN), param(HIDDEN, HEADS * HEAD_DIM), norm(), param(INTERMEDIATE, HIDDEN),
          param(INTERMEDIATE, HIDDEN), param(HIDDEN, INTERMEDIATE)};
    }
    finalNorm = norm();
  }

  private Tensor param(long rows, long cols) {
    Tensor w = torch.randn(rows, cols).mul(new Scalar(0.02));
    w.requires_grad_(true);
    parameters.add(w);
    return w;
  }

  private Tensor norm() {
    Tensor w = torch.ones(HIDDEN);
    w.requires_grad_(true);
    parameters.add(w);
    return w;
  }

  /** Mean next-token cross-entropy of {@code ids} {@code [B, T]} int64 (the causal LM loss of an SFT step). */
  Tensor loss(Tensor ids) {
    long b = ids.size(0);
    long t = ids.size(1) - 1;
    Tensor input = ids.narrow(1, 0, t);
    Tensor target = ids.narrow(1, 1, t);
    Tensor[] rope = ropeTables(t);
    Tensor x = torch.embedding(embed, input);
    for (Tensor[] l : layers) {
      Tensor h = rmsNorm(x, l[0]);
      Tensor q = torch.linear(h, l[1]).view(b, t, HEADS, HEAD_DIM).transpose(1, 2);
      Tensor k = torch.linear(h, l[2]).view(b, t, KV_HEADS, HEAD_DIM).transpose(1, 2);
      Tensor v = torch.linear(h, l[3]).view(b, t, KV_HEADS, HEAD_DIM).transpose(1, 2);
      q = rope(q, rope[0], rope[1]);
      k = rope(k, rope[0], rope[1]);
      Tensor a = torch.scaled_dot_product_attention(q, k, v, new TensorOptional(), 0.0, true, new DoubleOptional(),
          true);
      x = x.add(torch.linear(a.transpose(1, 2).reshape(b, t, HEADS * HEAD_DIM), l[4]));
      h = rmsNorm(x, l[5]);
      x = x.add(torch.linear(torch.silu(torch.linear(h, l[6])).mul(torch.linear(h, l[7])), l[8]));
    }
    Tensor logits = torch.linear(rmsNorm(x, finalNorm), embed);
    return torch.cross_entropy(logits.reshape(b * t, vocab).to(torch.ScalarType.Float), target.reshape(b * t));
  }

  private static Tensor rmsNorm(Tensor x, Tensor w) {
    return torch.rms_norm(x, new long[] {HIDDEN}, new TensorOptional(w), new DoubleOptional(1e-5));
  }

  /** cos and sin {@code [T, head_dim]} of positions 0..T-1. */
  private static Tensor[] ropeTables(long t) {
    Tensor pos = torch.arange(new Scalar(t)).to(torch.ScalarType.Float);
    Tensor inv = torch.pow(new Scalar(100000.0),
        torch.arange(new Scalar(0), new Scalar(HEAD_DIM), new Scalar(2)).to(torch.ScalarType.Float)
            .div(new Scalar(HEAD_DIM)).neg());
    Tensor freqs = pos.outer(inv);
    Tensor full = torch.cat(new TensorVector(freqs, freqs), -1);
    return new Tensor[] {full.cos(), full.sin()};
  }

  private static Tensor rope(Tensor x, Tensor cos, Tensor sin) {
    TensorVector halves = x.chunk(2, -1);
    Tensor rotated = torch.cat(new TensorVector(halves.get(1).neg(), halves.get(0)), -1);
    return x.mul(cos.to(x.scalar_type())).add(rotated.mul(sin.to(x.scalar_type())));
  }
}
