package dev.zephyr.core.generate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.zephyr.core.chat.SamplingParams;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SamplerTest {
  @Test
  void repetitionPenaltyDividesPositiveAndMultipliesNegativeLogitsOnce() {
    float[] logits = {2f, -1f, 0.5f, 3f};
    Sampler.applyRepetitionPenalty(logits, new int[] {0, 1, 0, 1, 9}, 5, 2f);
    assertThat(logits).containsExactly(1f, -2f, 0.5f, 3f);
  }

  @Test
  void greedyPicksTheArgMaxAfterThePenalty() {
    SamplingParams p = SamplingParams.builder().temperature(0).repetitionPenalty(4).build();
    // token 3 (3.0) was seen: 3/4 = 0.75 < 2.0 of token 0
    assertThat(Sampler.next(new float[] {2f, -1f, 0.5f, 3f}, new int[] {3}, 1, p, new SplittableRandom(1)))
        .isEqualTo(0);
  }

  @Test
  void topKKeepsTiesAndTopPKeepsTheSmallestNucleus() {
    float[] logits = {1f, 3f, 3f, 2f, 0f};
    Sampler.applyTopK(logits, 2);
    assertThat(logits).containsExactly(Float.NEGATIVE_INFINITY, 3f, 3f, Float.NEGATIVE_INFINITY,
        Float.NEGATIVE_INFINITY);
    // probabilities 0.5, 0.3, 0.2: top_p 0.6 keeps {0.5, 0.3}; top_p 0.5 keeps only 0.5 (1-0.5 = 0.5 >= 0.2+0.3)
    float[] p = {(float) Math.log(0.5), (float) Math.log(0.3), (float) Math.log(0.2)};
    float[] a = p.clone();
    Sampler.applyTopP(a, 0.6);
    assertThat(a[2]).isEqualTo(Float.NEGATIVE_INFINITY);
    assertThat(a[1]).isFinite();
    float[] b = p.clone();
    Sampler.applyTopP(b, 0.45);
    assertThat(b[1]).isEqualTo(Float.NEGATIVE_INFINITY);
    assertThat(b[0]).isFinite();
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
      ones += Sampler.next(logits.clone(), new int[0], 0, p, rng);
    }
    assertThat(ones / 4000.0).isCloseTo(0.75, within(0.03));
  }
}
