package dev.zephyr.data.config;

import dev.zephyr.core.chat.SamplingParams;

/**
 * The optional decoding keys of a config entry ({@code temperature}, {@code top_p}, {@code max_tokens} and the
 * penalties): a provider entry ({@link ProviderSpec}) or a generation block of the dsft-data YAML. A key that is
 * given overrides the decoding it is applied to; one that is absent (null) leaves it alone.
 */
public interface Decoding {
  Double temperature();

  Double topP();

  Integer maxTokens();

  Double presencePenalty();

  Double frequencyPenalty();

  Double repetitionPenalty();

  /** {@code base} with the keys this entry gives. */
  default SamplingParams samplingParams(SamplingParams base) {
    SamplingParams.Builder b = base.toBuilder();
    if (temperature() != null) {
      b.temperature(temperature());
    }
    if (topP() != null) {
      b.topP(topP());
    }
    if (maxTokens() != null) {
      b.maxTokens(maxTokens());
    }
    if (presencePenalty() != null) {
      b.presencePenalty(presencePenalty());
    }
    if (frequencyPenalty() != null) {
      b.frequencyPenalty(frequencyPenalty());
    }
    if (repetitionPenalty() != null) {
      b.repetitionPenalty(repetitionPenalty());
    }
    return b.build();
  }
}
