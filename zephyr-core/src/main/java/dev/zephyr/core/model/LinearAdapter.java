package dev.zephyr.core.model;

import ai.djl.ndarray.NDArray;

/**
 * What an adapter (LoRA) adds to a {@link LlamaModel}: a term added to the output of the projections it targets, and
 * trained copies that stand in for whole parameters (PEFT's {@code modules_to_save}). The base parameters are never
 * changed, so the same model without the adapter is the frozen base.
 */
public interface LinearAdapter {
  /**
   * The adapter's contribution to projection {@code projection} (for example
   * {@code model.layers.0.self_attn.q_proj}) for input {@code x} {@code [..., in]}: an array {@code [..., out]} added
   * to {@code x·Wᵀ + b}, or null when this projection is not adapted.
   */
  NDArray delta(String projection, NDArray x);

  /** A trained copy replacing parameter {@code name} (Hugging Face naming), or null to use the base parameter. */
  NDArray replacement(String name);
}
