package dev.zephyr.core.generate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.zephyr.core.chat.SamplingParams;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SamplerTest {
  /** Penalises {2, -1, 0.5, 3, -0.5, 1} after the prompt {0, 1} and the generated tokens {3, 3, 4, 3}. */
  private static float[] penalised(SamplingParams p) {
    float[] logits = {2f, -1f, 0.5f, 3f, -0.5f, 1f};
    TokenPenalties t = TokenPenalties.of(p, new int[] {0, 1, 0, 99}, logits.length);
    for (int token : new int[] {3, 3, 4, 3}) {
      t.add(token);
    }
    t.apply(logits);
    return logits;
  }

  @Test
  void repetitionPenaltyDividesPositiveAndMultipliesNegativeLogitsOfPromptAndOutputTokensOnce() {
    // seen: 0, 1 (prompt; 99 is outside the vocabulary), 3, 4 (output)
    assertThat(penalised(SamplingParams.builder().repetitionPenalty(2).build()))
        .containsExactly(1f, -2f, 0.5f, 1.5f, -1f, 1f);
  }

  @Test
  void frequencyPenaltyCountsOnlyGeneratedTokens() {
    // token 3 generated three times: 3 - 0.5 * 3; token 4 once: -0.5 - 0.5; prompt tokens 0 and 1 untouched
    assertThat(penalised(SamplingParams.builder().frequencyPenalty(0.5).build()))
        .containsExactly(2f, -1f, 0.5f, 1.5f, -1f, 1f);
  }

  @Test
  void presencePenaltyIsSubtractedOncePerGeneratedToken() {
    assertThat(penalised(SamplingParams.builder().presencePenalty(1.5).build()))
        .containsExactly(2f, -1f, 0.5f, 1.5f, -2f, 1f);
    // a negative presence penalty encourages repeats
    assertThat(penalised(SamplingParams.builder().presencePenalty(-2).build()))
        .containsExactly(2f, -1f, 0.5f, 5f, 1.5f, 1f);
  }

  @Test
  void allThreeApplyRepetitionFirstThenFrequencyThenPresence() {
    // repetition 2: {1, -2, 0.5, 1.5, -1, 1}; frequency 0.5: token 3 -1.5, token 4 -0.5; presence 1.5 on both
    assertThat(penalised(SamplingParams.builder().repetitionPenalty(2).frequencyPenalty(0.5).presencePenalty(1.5)
        .build())).containsExactly(1f, -2f, 0.5f, -1.5f, -3f, 1f);
    // neutral values change nothing
    assertThat(penalised(SamplingParams.defaults())).containsExactly(2f, -1f, 0.5f, 3f, -0.5f, 1f);
  }

  @Test
  void greedyPicksTheArgMaxAfterThePenalty() {
    SamplingParams rep = SamplingParams.builder().temperature(0).repetitionPenalty(4).build();
    // token 3 (3.0) was seen: 3/4 = 0.75 < 2.0 of token 0
    assertThat(Sampler.next(new float[] {2f, -1f, 0.5f, 3f}, TokenPenalties.of(rep, new int[] {3}, 4), rep,
        new SplittableRandom(1))).isEqualTo(0);
    SamplingParams presence = SamplingParams.builder().temperature(0).presencePenalty(1.5).build();
    TokenPenalties generated = TokenPenalties.of(presence, new int[] {3}, 4);
    // in the prompt only: no presence penalty
    assertThat(Sampler.next(new float[] {2f, -1f, 0.5f, 3f}, generated, presence, new SplittableRandom(1)))
        .isEqualTo(3);
    generated.add(3);
    // generated once: 3 - 1.5 = 1.5 < 2.0
    assertThat(Sampler.next(new float[] {2f, -1f, 0.5f, 3f}, generated, presence, new SplittableRandom(1)))
        .isEqualTo(0);
  }

  @Test
  void penaltiesComeBeforeTheTemperature() {
    // {0, 0} with token 1 generated once, frequency 1, temperature 0.5: (0 - 1) / 0.5 = -2, so P(1) = 1/(1+e^2);
    // penalising after the temperature would give 0 - 1 and P(1) = 1/(1+e)
    SamplingParams p = SamplingParams.builder().temperature(0.5).frequencyPenalty(1).build();
    TokenPenalties t = TokenPenalties.of(p, new int[] {0}, 2);
    t.add(1);
    SplittableRandom rng = new SplittableRandom(5);
    int ones = 0;
    for (int i = 0; i < 4000; i++) {
      ones += Sampler.next(new float[] {0f, 0f}, t, p, rng);
    }
    assertThat(ones / 4000.0).isCloseTo(1 / (1 + Math.exp(2)), within(0.03));
  }

  @Test
  void topKKeepsTiesAndTopPKeepsTheSmallestNucleus() {
    float[] logits = {1f, 3f, 3f, 2f, 0f};
    Sampler.applyTopK(logits, 2);
    assertThat(logits).containsExactly(Float.NEGATIVE_INFINITY, 3f, 3f, Float.NEGATIVE_INFINITY,
        Float.NEGATIVE_INFINITY);
    // probabilities 0.5, 0.3, 0.2: top_p 0.6 keeps {0.5, 0.3}; top_p 0.45 keeps only 0.5 (1-0.45 = 0.55 >= 0.2+0.3)
    float[] p = {(float) Math.log(0.5), (float) Math.log(0.3), (float) Math.log(0.2)};
    float[] a = p.clone();
    Sampler.applyTopP(a, 0.6);
    assertThat(a).containsExactly(p[0], p[1], Float.NEGATIVE_INFINITY);
    float[] b = p.clone();
    Sampler.applyTopP(b, 0.45);
    assertThat(b).containsExactly(p[0], Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY);
  }

  @Test
  void drawFollowsTheDistributionAndLogProbIsExact() {
    float[] logits = {(float) Math.log(0.25), (float) Math.log(0.75)};
    assertThat(Sampler.draw(logits, 0.2)).isEqualTo(0);
    assertThat(Sampler.draw(logits, 0.3)).isEqualTo(1);
    assertThat(Sampler.logProb(logits, 1)).isCloseTo((float) Math.log(0.75), within(1e-6f));
    SamplingParams p = SamplingParams.builder().temperature(1).build();
    SplittableRandom rng = new SplittableRandom(3);
    int ones = 0;
    for (int i = 0; i < 4000; i++) {
      ones += Sampler.next(logits.clone(), TokenPenalties.none(), p, rng);
    }
    assertThat(ones / 4000.0).isCloseTo(0.75, within(0.03));
  }
}
