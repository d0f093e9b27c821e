package dev.zephyr.train.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.zephyr.core.InvalidInputException;
import dev.zephyr.core.io.Json;
import java.util.List;
import org.junit.jupiter.api.Test;

/** scripts/bench-vs-torch's verdict: median of per-round ratios, refused on a broken peer BLAS or unequal work. */
class BenchComparisonTest {

  private static JsonNode line(String mode, double tokensPerS, double gemm, int threads, int tokensPerStep) {
    return line(mode, tokensPerS, gemm, threads, tokensPerStep, 19_300_000);
  }

  private static JsonNode line(String mode, double tokensPerS, double gemm, int threads, int tokensPerStep,
      long params) {
    try {
      return Json.mapper().readTree(String.format(java.util.Locale.ROOT, "{\"mode\":\"%s\",\"tokens_per_s\":%s,"
          + "\"gemm_gflops\":%s,\"threads\":%d,\"tokens_per_step\":%d,\"params\":%d,\"step_s\":1.0}", mode,
          tokensPerS, gemm, threads, tokensPerStep, params));
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static List<JsonNode> runs(String mode, double gemm, double... tokensPerS) {
    return java.util.Arrays.stream(tokensPerS).mapToObj(t -> line(mode, t, gemm, 2, 2048)).toList();
  }

  @Test
  void theRatioIsTheMedianOfTheRoundsRatios() {
    // rounds: 1200/1000 = 1.2, 900/1000 = 0.9, 1300/1000 = 1.3 -> median 1.2 (the ratio of medians would be the same
    // here, so the next case tells them apart)
    BenchComparison c = new BenchComparison(runs("sft", 150, 1200, 900, 1300), runs("sft", 160, 1000, 1000, 1000));
    assertThat(c.verdict().refused()).isFalse();
    assertThat(c.verdict().medianRatio()).isCloseTo(1.2, org.assertj.core.data.Offset.offset(1e-12));
    // rounds 100/50 = 2, 100/100 = 1, 100/200 = 0.5 -> 1; medians 100 / 100 -> 1 as well, but 4 rounds differ:
    // 100/50, 100/100, 300/100, 100/400 = 2, 1, 3, 0.25 -> (1 + 2) / 2 = 1.5 (ratio of medians: 100 / 75 = 1.33)
    BenchComparison even = new BenchComparison(runs("sft", 150, 100, 100, 300, 100),
        runs("sft", 150, 50, 100, 100, 400));
    assertThat(even.verdict().medianRatio()).isEqualTo(1.5);
    List<String> report = even.report();
    assertThat(report).hasSize(9);
    assertThat(report.get(0)).startsWith("round 1 zephyr tokens_per_s      100.0");
    assertThat(report.get(1)).startsWith("round 1 peer   tokens_per_s       50.0");
    assertThat(report.get(8)).isEqualTo("median ratio zephyr/peer (tokens_per_s, peer autocast off): 1.500 (rounds:"
        + " 2.000, 1.000, 3.000, 0.250)");
  }

  @Test
  void aPeerOnABrokenBlasGetsNoRatio() {
    List<JsonNode> peer = List.of(line("sft", 1000, 160, 2, 2048), line("sft", 1000, 3.2, 2, 2048));
    BenchComparison c = new BenchComparison(runs("sft", 150, 4000, 4000), peer);
    assertThat(c.verdict().refused()).isTrue();
    assertThat(c.verdict().refusal()).contains("round 2 is 3.2, under 50").contains("libopenblas0-pthread");
    assertThat(c.report().get(4)).startsWith("no ratio: the peer's gemm_gflops");
    // 50 itself is enough
    assertThat(new BenchComparison(runs("sft", 150, 10), runs("sft", 50, 10)).verdict().medianRatio()).isEqualTo(1);
  }

  @Test
  void unequalWorkGetsNoRatio() {
    BenchComparison threads = new BenchComparison(List.of(line("sft", 10, 150, 1, 2048)),
        List.of(line("sft", 10, 150, 2, 2048)));
    assertThat(threads.verdict().refusal()).isEqualTo("threads differs in round 1: zephyr 1, peer 2; compare the"
        + " same work");
    BenchComparison tokens = new BenchComparison(List.of(line("dpo", 10, 150, 2, 2048)),
        List.of(line("dpo", 10, 150, 2, 4096)));
    assertThat(tokens.verdict().refusal()).startsWith("tokens_per_step differs in round 1: zephyr 2048, peer 4096");
    BenchComparison model = new BenchComparison(List.of(line("sft", 10, 150, 2, 2048, 19_300_000)),
        List.of(line("sft", 10, 150, 2, 2048, 5_000_000)));
    assertThat(model.verdict().refusal()).startsWith("params differs in round 1: zephyr 19300000, peer 5000000");
    BenchComparison mode = new BenchComparison(runs("sft", 150, 10), runs("forward", 150, 10));
    assertThat(mode.verdict().refusal()).isEqualTo("mode differs: zephyr sft, peer forward");
  }

  @Test
  void missingRunsOrFieldsAreInvalidInput() {
    assertThatThrownBy(() -> new BenchComparison(runs("sft", 150, 1, 2), runs("sft", 150, 1)))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("got 2 and 1");
    JsonNode noGemm = Json.mapper().createObjectNode().put("tokens_per_s", 1).put("tokens_per_step", 1)
        .put("threads", 1).put("params", 19_300_000);
    assertThatThrownBy(() -> new BenchComparison(runs("sft", 150, 1), List.of(noGemm)))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("field 'gemm_gflops'");
  }
}
