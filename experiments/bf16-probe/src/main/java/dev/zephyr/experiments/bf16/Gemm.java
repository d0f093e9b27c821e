package dev.zephyr.experiments.bf16;

/** One matrix multiply shape of the decoder: {@code [tokens, in] x [in, out]}, named after its projection. */
record Gemm(String name, long tokens, long in, long out) {
  double flops() {
    return 2.0 * tokens * in * out;
  }

  @Override
  public String toString() {
    return name + " " + tokens + "x" + in + "x" + out;
  }
}
