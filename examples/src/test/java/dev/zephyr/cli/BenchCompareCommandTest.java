package dev.zephyr.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code zephyr bench compare}, the step of scripts/bench-vs-torch that decides whether there is a ratio. */
class BenchCompareCommandTest {
  private static final String PEER = "{\"impl\":\"pytorch-eager-1.13.0\",\"mode\":\"forward\",\"autocast\":\"bf16\","
      + "\"params\":19300000,\"tokens_per_step\":2048,\"step_s\":0.5,\"tokens_per_s\":%s,\"gemm_gflops\":%s,"
      + "\"threads\":2}";
  private static final String ZEPHYR = "{\"impl\":\"zephyr\",\"mode\":\"forward\",\"params\":19300000,"
      + "\"tokens_per_step\":2048,"
      + "\"step_s\":0.4,\"tokens_per_s\":%s,\"gemm_gflops\":150.0,\"threads\":2}";

  @Test
  void printsEachRunAndTheMedianRatioSkippingLogLines(@TempDir Path tmp) throws Exception {
    Path z = Files.writeString(tmp.resolve("z.jsonl"), "WARN something\n" + String.format(ZEPHYR, 5000) + "\n"
        + String.format(ZEPHYR, 4400) + "\n" + String.format(ZEPHYR, 6000) + "\n");
    Path p = Files.writeString(tmp.resolve("p.jsonl"), String.format(PEER, 4000, 155) + "\n"
        + String.format(PEER, 4000, 148) + "\n" + String.format(PEER, 4000, 160) + "\n");
    CliRun r = CliRun.of("bench", "compare", z.toString(), p.toString());
    assertThat(r.code()).as(r.err()).isZero();
    // rounds 1.25, 1.10, 1.50 -> median 1.25
    assertThat(r.out()).contains("median ratio zephyr/peer (tokens_per_s, peer autocast bf16): 1.250 (rounds: 1.250,"
        + " 1.100, 1.500)");
    assertThat(r.out().lines().filter(l -> l.startsWith("round ")).count()).isEqualTo(6);
  }

  @Test
  void refusesWithExitThreeUnderFiftyGflops(@TempDir Path tmp) throws Exception {
    Path z = Files.writeString(tmp.resolve("z.jsonl"), String.format(ZEPHYR, 5000) + "\n");
    Path p = Files.writeString(tmp.resolve("p.jsonl"), String.format(PEER, 1000, 3.1) + "\n");
    CliRun r = CliRun.of("bench", "compare", z.toString(), p.toString());
    assertThat(r.code()).isEqualTo(BenchCompareCommand.REFUSED);
    assertThat(r.out()).contains("no ratio: the peer's gemm_gflops in round 1 is 3.1, under 50").doesNotContain(
        "median ratio");
  }
}
