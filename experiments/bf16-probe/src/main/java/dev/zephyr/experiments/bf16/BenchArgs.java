package dev.zephyr.experiments.bf16;

/**
 * The positional arguments the two decoder benchmarks share: {@code layers batch tokens repeats threads}, each
 * falling back to the given default when absent.
 *
 * @param repeats timed rounds ({@code ForwardBench}) or training steps ({@code BytedecoSftBench})
 */
record BenchArgs(int layers, int batch, int tokens, int repeats, int threads) {
  static BenchArgs parse(String[] args, BenchArgs defaults) {
    return new BenchArgs(Bf16Probe.intArg(args, 0, defaults.layers()), Bf16Probe.intArg(args, 1, defaults.batch()),
        Bf16Probe.intArg(args, 2, defaults.tokens()), Bf16Probe.intArg(args, 3, defaults.repeats()),
        Bf16Probe.intArg(args, 4, defaults.threads()));
  }
}
