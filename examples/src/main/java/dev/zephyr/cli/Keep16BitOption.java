package dev.zephyr.cli;

import picocli.CommandLine.Option;

/**
 * Picocli mixin {@code --keep-16bit[=true|false]} for the commands that load a model under test. Each command picks
 * its own default: on where the model only scores (mc, lm-eval, logprobs), where it costs little; off where it
 * generates token by token, where widening every weight once per token makes it several times slower.
 */
final class Keep16BitOption {
  @Option(names = "--keep-16bit", arity = "0..1", fallbackValue = "true", paramLabel = "true|false",
      description = "hold a BF16/F16 checkpoint's weight matrices at 2 bytes, widening each layer to float32 while it"
          + " runs: about half the memory, the same results; log-likelihood scoring costs little, token-by-token"
          + " generation is several times slower (default: on for scoring commands, off for generating ones;"
          + " an F32 checkpoint loads as float32 either way)")
  Boolean keep16Bit;

  /** {@code --keep-16bit} when given, else {@code commandDefault}. */
  boolean resolve(boolean commandDefault) {
    return keep16Bit != null ? keep16Bit : commandDefault;
  }
}
