package dev.zephyr.core.model;

/** Hugging Face parameter-name prefixes of one decoder layer, built once per layer. */
record LayerNames(String q, String k, String v, String o, String gate, String up, String down, String inputNorm,
    String postNorm) {
  static LayerNames of(int i) {
    String p = "model.layers." + i + ".";
    return new LayerNames(p + "self_attn.q_proj", p + "self_attn.k_proj", p + "self_attn.v_proj",
        p + "self_attn.o_proj", p + "mlp.gate_proj", p + "mlp.up_proj", p + "mlp.down_proj",
        p + "input_layernorm.weight", p + "post_attention_layernorm.weight");
  }
}
